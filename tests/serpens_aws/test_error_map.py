"""What an AWS failure becomes, provoked for real: AWS's error answers, a closed port, no setup.

``serpens_aws._errors`` maps botocore's exceptions for every AWS adapter. A transient
refusal (throttling, a fault on AWS's side) must be :class:`BackendUnavailableError`,
which callers retry; a refusal the adapter does not know stays a plain
:class:`SerpensError` (never retried as transient) that names AWS's error code. Every
message names the resource (queue, table, parameter, secret) and never repeats AWS's
own message, which may quote the values sent. moto never throttles nor fails on its
side, so a local HTTP server answers each service's documented error JSON, to clients
allowed one attempt (botocore retries nothing). A closed port, a missing region and
missing credentials are real conditions of the SDK, no server needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError

from serpens.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    SerpensError,
    ValidationError,
)
from serpens.testing._common import free_port
from serpens_aws import (
    DynamoDBDocumentStore,
    SecretsManagerStore,
    SQSQueue,
    SSMParameterStore,
)
from serpens_aws._errors import translate
from tests.serpens_aws._local_sqs import LocalSQS, SQSHandler, serving

#: text AWS's error message carries, standing for a value it echoes: never repeated
ECHOED = "value-4f1c-sent-by-the-caller"

#: what each adapter's call must name in its errors
RESOURCE = {
    "sqs": "orders",
    "ssm": "/app/db-url",
    "secretsmanager": "app/db-password",
    "dynamodb": "orders-table",
}


class _Handler(SQSHandler):
    """Answers every request with the error the server holds, as AWS's JSON protocols do."""

    server: _AWS

    def do_POST(self) -> None:
        self.request_json()
        status, code = self.server.refusal
        if code is None:  # a gateway's page, naming no AWS error
            page = f"<html><body>{status} {ECHOED}</body></html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        payload = {"__type": f"com.amazonaws.service#{code}", "message": f"{ECHOED} refused"}
        self.answer(status, payload)


class _AWS(LocalSQS):
    """A loopback AWS endpoint refusing every call with :attr:`refusal` (status, code).

    A code of ``None`` answers an HTML page instead of AWS's error JSON.
    """

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.refusal: tuple[int, str | None] = (400, "ThrottlingException")

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"


def _client(service: str, endpoint_url: str) -> Any:
    """A client of *service* on *endpoint_url* allowed one attempt, with test credentials."""
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=2),
    )


def _call(service: str, endpoint_url: str) -> Callable[[], object]:
    """One read through the adapter of *service*, on the resource :data:`RESOURCE` names."""
    client = _client(service, endpoint_url)
    name = RESOURCE[service]
    if service == "sqs":
        return SQSQueue(f"{endpoint_url}/000000000000/{name}", client).receive
    if service == "ssm":
        return lambda: SSMParameterStore(client).get_parameters([name])
    if service == "secretsmanager":
        return lambda: SecretsManagerStore(client).get_secret(name)
    return lambda: DynamoDBDocumentStore(client).get(name, {"id": "1"})


@pytest.fixture(name="aws")
def _aws() -> Iterator[_AWS]:
    with serving(_AWS()) as server:
        yield server


def _refused(aws: _AWS, service: str, status: int, code: str | None) -> SerpensError:
    aws.refusal = (status, code)
    with pytest.raises(SerpensError) as info:
        _call(service, aws.url)()
    error = info.value
    assert RESOURCE[service] in str(error)  # which queue, table, parameter or secret
    assert ECHOED not in str(error)
    assert ECHOED not in repr(error)
    return error


SERVICES = list(RESOURCE)


@pytest.mark.parametrize("service", SERVICES)
def test_throttling_is_transient(aws: _AWS, service: str) -> None:
    """``ThrottlingException``, which any AWS service may answer: BackendUnavailableError."""
    assert isinstance(_refused(aws, service, 400, "ThrottlingException"), BackendUnavailableError)


@pytest.mark.parametrize(
    ("service", "status", "code"),
    [
        # SQS's throttling of a queue's request rate (botocore retries it as throttling)
        pytest.param("sqs", 403, "RequestThrottled", id="sqs-RequestThrottled"),
        # KMS throttling the data keys of an encrypted queue
        pytest.param("sqs", 400, "KmsThrottled", id="sqs-KmsThrottled"),
        # Secrets Manager's fault on its side (HTTP 500)
        pytest.param("secretsmanager", 500, "InternalServiceError", id="secrets-InternalService"),
        pytest.param("ssm", 500, "InternalServerError", id="ssm-InternalServerError"),
        pytest.param("dynamodb", 400, "RequestLimitExceeded", id="dynamodb-RequestLimit"),
        pytest.param("dynamodb", 500, "InternalServerError", id="dynamodb-InternalServerError"),
    ],
)
def test_each_services_own_transient_errors_are_transient(
    aws: _AWS, service: str, status: int, code: str
) -> None:
    """The throttling and server-fault codes each service documents: BackendUnavailableError."""
    assert isinstance(_refused(aws, service, status, code), BackendUnavailableError)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("service", SERVICES)
def test_a_server_error_naming_no_aws_error_is_transient(
    aws: _AWS, service: str, status: int
) -> None:
    """A 5xx page without AWS's error JSON (a gateway, AWS's front end): BackendUnavailableError.

    botocore then reports the HTTP status as the error code (``"503"``).
    """
    assert isinstance(_refused(aws, service, status, None), BackendUnavailableError)


@pytest.mark.parametrize("service", SERVICES)
def test_an_unknown_refusal_is_not_transient_and_names_its_code(aws: _AWS, service: str) -> None:
    """A code no table knows (access denied) is a SerpensError naming the code, not retried."""
    error = _refused(aws, service, 400, "AccessDeniedException")
    assert not isinstance(error, BackendError)  # nothing says a retry would help
    assert "AccessDeniedException" in str(error)  # what an operator looks up


@pytest.fixture(name="closed_port")
def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connects are refused."""
    return free_port()


@pytest.mark.parametrize("service", SERVICES)
def test_an_unreachable_endpoint_is_unavailable_naming_the_resource(
    closed_port: int, service: str
) -> None:
    """Connection refused (botocore's ``EndpointConnectionError``): BackendUnavailableError."""
    with pytest.raises(BackendUnavailableError) as info:
        _call(service, f"http://127.0.0.1:{closed_port}")()
    assert RESOURCE[service] in str(info.value)


@pytest.fixture(name="bare_environment")
def _bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No region, no credentials, no config files, no instance metadata."""
    for name in (
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_no_region_is_a_configuration_error_saying_so(bare_environment: None) -> None:
    """Looking a queue up without a region: ConfigurationError telling what is missing."""
    with pytest.raises(ConfigurationError) as info:
        SQSQueue.from_name("orders")
    assert "region" in str(info.value).lower()
    assert "orders" in str(info.value)


def test_no_credentials_is_a_configuration_error_saying_so(
    bare_environment: None, closed_port: int
) -> None:
    """A call with no credentials anywhere: ConfigurationError, before any request is sent.

    The client comes from a fresh boto3 session: the default one caches the credentials
    it found for earlier tests.
    """
    session = boto3.session.Session(region_name="us-east-1")
    client = session.client("ssm", endpoint_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(ConfigurationError) as info:
        SSMParameterStore(client).get_parameters(["/app/db-url"])
    assert "credentials" in str(info.value).lower()
    assert "/app/db-url" in str(info.value)


def test_values_botocore_refuses_are_a_validation_error_naming_the_parameters_only(
    closed_port: int,
) -> None:
    """botocore checks types before sending and quotes each refused value: only names stay.

    A caller's flags of the wrong type (no server is asked: the endpoint is closed).
    """
    store = SSMParameterStore(_client("ssm", f"http://127.0.0.1:{closed_port}"))
    with pytest.raises(ValidationError) as info:
        store.get_parameters_by_path(
            "/app",
            recursive=f"{ECHOED}-1",  # type: ignore[arg-type]
            decrypt=f"{ECHOED}-2",  # type: ignore[arg-type]
        )
    assert "Recursive" in str(info.value)
    assert "WithDecryption" in str(info.value)
    assert "/app" in str(info.value)
    assert ECHOED not in str(info.value)
    assert ECHOED not in repr(info.value)


def test_a_missing_or_unknown_parameter_is_named_by_itself(closed_port: int) -> None:
    """botocore says "Missing required parameter in input: "Names"": the name is Names.

    (Not the word after "parameter": the adapters build their requests, so only a bug of
    theirs sends one, and its error must still say which parameter.)
    """
    client = _client("ssm", f"http://127.0.0.1:{closed_port}")
    requests: dict[str, Callable[[], object]] = {
        "Names": client.get_parameters,
        "Bogus": lambda: client.get_parameters(Names=["a"], Bogus=f"{ECHOED}"),
        "ParameterFilters[0].Key": lambda: client.get_parameters_by_path(
            Path="/app", ParameterFilters=[{"Values": ["x"]}]
        ),
    }
    for name, request in requests.items():
        with pytest.raises(ParamValidationError) as info:
            request()
        error = translate(info.value, "SSM parameters", {})
        assert isinstance(error, ValidationError)
        assert str(error) == f"invalid request for SSM parameters: {name}"
