"""serpens.parameters and serpens.secrets_manager over the fakes and moto's server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from serpens import parameters, secrets_manager
from serpens.errors import NotFoundError, SerializationError, ValidationError
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore
from serpens_aws import SecretsManagerStore, SSMParameterStore

SECRET_VALUE = "hunter2-do-not-print"

PutParameter = Callable[[str, str], None]
PutSecret = Callable[[str, "str | bytes"], None]


@pytest.fixture(params=["fake", "ssm"])
def put_parameter(request: pytest.FixtureRequest) -> Iterator[PutParameter]:
    if request.param == "fake":
        fake = InMemoryParameterStore()
        with parameters.use_store(fake):
            yield fake.put
        return
    request.getfixturevalue("moto_endpoint")
    client = boto3.client("ssm")

    def put(name: str, value: str) -> None:
        client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

    with parameters.use_store(SSMParameterStore()):
        yield put


@pytest.fixture(params=["fake", "secretsmanager"])
def put_secret(request: pytest.FixtureRequest) -> Iterator[PutSecret]:
    if request.param == "fake":
        fake = InMemorySecretStore()
        with secrets_manager.use_store(fake):
            yield fake.put
        return
    request.getfixturevalue("moto_endpoint")
    client = boto3.client("secretsmanager")

    def put(secret_id: str, value: str | bytes) -> None:
        kind = "SecretString" if isinstance(value, str) else "SecretBinary"
        try:
            client.put_secret_value(SecretId=secret_id, **{kind: value})  # type: ignore[arg-type]
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=secret_id, **{kind: value})  # type: ignore[arg-type]

    with secrets_manager.use_store(SecretsManagerStore()):
        yield put


def _name(suffix: str = "") -> str:
    return f"/t{uuid.uuid4().hex[:8]}{suffix}"


def test_get_returns_the_value_and_serves_it_from_the_cache(put_parameter: PutParameter) -> None:
    name = _name("/db/host")
    put_parameter(name, "db1")
    assert parameters.get(name) == "db1"
    put_parameter(name, "db2")
    assert parameters.get(name) == "db1"
    assert parameters.get(name, force_fetch=True) == "db2"


def test_a_missing_parameter_is_not_found_and_named(put_parameter: PutParameter) -> None:
    name = _name("/missing")
    with pytest.raises(NotFoundError, match=name):
        parameters.get(name)


def test_get_many_batches_and_lists_every_missing_name(put_parameter: PutParameter) -> None:
    base = _name()
    names = [f"{base}/p{i:02d}" for i in range(12)]
    for i, name in enumerate(names):
        put_parameter(name, f"v{i}")
    assert parameters.get_many(names) == {name: f"v{i}" for i, name in enumerate(names)}
    with pytest.raises(NotFoundError) as raised:
        parameters.get_many([names[0], f"{base}/x", f"{base}/y"])
    assert f"{base}/x" in str(raised.value)
    assert f"{base}/y" in str(raised.value)


def test_get_by_path_recursive_or_direct_children(put_parameter: PutParameter) -> None:
    base = _name()
    put_parameter(f"{base}/a", "1")
    put_parameter(f"{base}/b/c", "2")
    assert parameters.get_by_path(base) == {f"{base}/a": "1", f"{base}/b/c": "2"}
    assert parameters.get_by_path(base, recursive=False) == {f"{base}/a": "1"}
    assert parameters.get_by_path(f"{base}/nothing") == {}


def test_json_transform_and_its_error_never_shows_the_value(put_parameter: PutParameter) -> None:
    good, bad = _name("/good"), _name("/bad")
    put_parameter(good, json.dumps({"port": 5432}))
    put_parameter(bad, SECRET_VALUE)
    assert parameters.get(good, transform="json") == {"port": 5432}
    with pytest.raises(SerializationError) as raised:
        parameters.get(bad, transform="json")
    assert bad in str(raised.value)
    assert SECRET_VALUE not in str(raised.value)
    assert raised.value.__cause__ is None


async def test_aget_runs_off_the_event_loop(put_parameter: PutParameter) -> None:
    name = _name("/async")
    put_parameter(name, "v")
    assert await parameters.aget(name) == "v"
    assert await parameters.aget_many([name]) == {name: "v"}
    assert await parameters.aget_by_path(name.rsplit("/", 1)[0]) == {name: "v"}


def test_a_relative_path_is_a_validation_error(put_parameter: PutParameter) -> None:
    with pytest.raises(ValidationError):
        parameters.get_by_path("relative/path")


def test_secret_value_key_and_cache(put_secret: PutSecret) -> None:
    secret_id = f"s{uuid.uuid4().hex[:8]}"
    put_secret(secret_id, json.dumps({"user": "app", "password": SECRET_VALUE}))
    assert secrets_manager.get(secret_id, "password") == SECRET_VALUE
    assert secrets_manager.get(secret_id, transform="json")["user"] == "app"
    put_secret(secret_id, json.dumps({"user": "rotated"}))
    assert secrets_manager.get(secret_id, "user") == "app"
    assert secrets_manager.get(secret_id, "user", force_fetch=True) == "rotated"


def test_a_json_secret_comes_back_parsed_as_in_2_9(put_secret: PutSecret) -> None:
    secret_id, plain, number = (f"{k}{uuid.uuid4().hex[:8]}" for k in "spn")
    document = {"user": "app", "password": SECRET_VALUE, "port": 5432}
    put_secret(secret_id, json.dumps(document))
    put_secret(plain, "not {json")
    put_secret(number, "5432")
    assert secrets_manager.get(secret_id) == document
    assert secrets_manager.get(secret_id)["password"] == SECRET_VALUE
    assert secrets_manager.get(secret_id, transform="raw") == json.dumps(document)
    assert secrets_manager.get(plain) == "not {json"
    assert secrets_manager.get(number) == 5432  # json.loads, as 2.9.0 did


def test_binary_secrets_return_bytes(put_secret: PutSecret) -> None:
    secret_id = f"s{uuid.uuid4().hex[:8]}"
    put_secret(secret_id, b"\x00\x01key")
    assert secrets_manager.get(secret_id) == b"\x00\x01key"


def test_secret_errors_name_the_secret_never_the_value(put_secret: PutSecret) -> None:
    secret_id, plain = f"s{uuid.uuid4().hex[:8]}", f"p{uuid.uuid4().hex[:8]}"
    put_secret(secret_id, json.dumps({"password": SECRET_VALUE}))
    put_secret(plain, SECRET_VALUE)
    failures = []
    for call, error in [
        (lambda: secrets_manager.get(f"{secret_id}-missing"), NotFoundError),
        (lambda: secrets_manager.get(secret_id, "nokey"), NotFoundError),
        (lambda: secrets_manager.get(plain, "password"), SerializationError),
    ]:
        with pytest.raises(error) as raised:
            call()
        failures.append(str(raised.value))
    assert all(SECRET_VALUE not in message for message in failures)
    assert f"{secret_id}-missing" in failures[0]
    assert "nokey" in failures[1]


def test_a_key_of_a_json_secret_that_is_not_an_object(put_secret: PutSecret) -> None:
    secret_id = f"s{uuid.uuid4().hex[:8]}"
    put_secret(secret_id, "[1, 2]")
    with pytest.raises(ValidationError, match=secret_id):
        secrets_manager.get(secret_id, "x")


async def test_secret_aget(put_secret: PutSecret) -> None:
    secret_id = f"s{uuid.uuid4().hex[:8]}"
    put_secret(secret_id, '{"v": 1}')
    assert await secrets_manager.aget(secret_id) == {"v": 1}


MISCONFIGURED = """
from dataclasses import dataclass
from serpens import document, parameters, secrets_manager
from serpens.errors import ConfigurationError

@dataclass
class Order(document.BaseDocument):
    _table_name_ = "orders"
    id: str

for call in (
    lambda: parameters.get("/orders/db/host"),
    lambda: parameters.get_by_path("/orders"),
    lambda: secrets_manager.get("orders/db"),
    lambda: Order.get_by_key({"id": "1"}),
):
    try:
        call()
    except ConfigurationError as exc:
        print(exc)
"""


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        pytest.param({"AWS_DEFAULT_REGION", "AWS_REGION"}, "region", id="no-region"),
        pytest.param({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, "credentials", id="no-keys"),
    ],
)
def test_missing_aws_region_or_credentials_are_configuration_errors(
    missing: set[str], expected: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in missing and k != "AWS_PROFILE"}
    env |= {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # never reached: configuration fails first
    }
    if "AWS_DEFAULT_REGION" not in missing:
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    else:
        env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    result = subprocess.run(
        [sys.executable, "-c", MISCONFIGURED],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stderr
    assert all(line.startswith("AWS is not configured for") for line in lines)
    assert all(expected in line for line in lines)
