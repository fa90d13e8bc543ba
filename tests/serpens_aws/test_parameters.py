"""The deadlines of the clients SSMParameterStore and SecretsManagerStore build themselves.

botocore waits 60 s to connect and 60 s per read by default, three attempts in standard
mode: three minutes on an endpoint that accepts and never answers. The adapters' own
clients wait 2 s and 5 s per attempt; ``config=`` is merged over that, and the retry
count stays the AWS environment's.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config

from serpens.errors import BackendTimeoutError, ConfigurationError
from serpens.testing import FaultProxy
from serpens_aws import SecretsManagerStore, SSMParameterStore

STORES = [SSMParameterStore, SecretsManagerStore]


@pytest.fixture
def aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.usefixtures("aws_region")
@pytest.mark.parametrize("store_class", STORES)
def test_the_built_client_waits_2_s_to_connect_and_5_s_per_read(store_class: Any) -> None:
    config = store_class(endpoint_url="http://127.0.0.1:9").client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 5)


@pytest.mark.usefixtures("aws_region")
@pytest.mark.parametrize("store_class", STORES)
def test_config_is_merged_over_the_deadlines(store_class: Any) -> None:
    store = store_class(endpoint_url="http://127.0.0.1:9", config=Config(read_timeout=1))
    config = store.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 1)


@pytest.mark.usefixtures("aws_region")
def test_a_ready_client_keeps_its_own_configuration() -> None:
    client = boto3.client("ssm", endpoint_url="http://127.0.0.1:9", config=Config(read_timeout=9))
    config: Any = SSMParameterStore(client).client.meta.config
    assert config.read_timeout == 9
    with pytest.raises(ConfigurationError, match="config= applies to the client"):
        SSMParameterStore(client, config=Config(read_timeout=1))


def test_a_frozen_endpoint_ends_at_the_merged_read_timeout_with_the_environments_retries(
    moto_endpoint: str, moto_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_MAX_ATTEMPTS=1 and read_timeout=0.5: one 0.5 s wait, BackendTimeoutError."""
    # straight to moto, with botocore's waits: its first SSM call loads SSM's defaults
    setup = boto3.client("ssm", endpoint_url=moto_endpoint)
    setup.put_parameter(Name="/deadline/x", Value="v", Type="String", Overwrite=True)
    setup.close()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    url = f"http://{moto_proxy.host}:{moto_proxy.port}"
    store = SSMParameterStore(endpoint_url=url, config=Config(read_timeout=0.5))
    try:
        with moto_proxy.freeze():
            started = time.monotonic()
            with pytest.raises(BackendTimeoutError, match="timed out"):
                store.get_parameters(["/deadline/x"])
            elapsed = time.monotonic() - started
        assert 0.5 <= elapsed < 1.5, elapsed
        assert store.get_parameters(["/deadline/x"]) == {"/deadline/x": "v"}
    finally:  # its pooled sockets, the timed-out one too: never left to the collector
        store.client.close()


@pytest.mark.parametrize(
    ("service", "store_class"),
    [("ssm", SSMParameterStore), ("secretsmanager", SecretsManagerStore)],
)
def test_a_store_given_its_client_uses_it_and_bounds_each_whole_answer(
    moto_endpoint: str, moto_proxy: FaultProxy, service: str, store_class: Any
) -> None:
    """The caller's client, not one from the environment, with the adapter's answer deadline.

    A server trickling its answer resets every per-read timeout; the adapter bounds the
    whole answer by the client's read timeout (1 s here), the caller's client included.
    """
    setup = boto3.client(service, endpoint_url=moto_endpoint)
    name = f"/given-client/{uuid.uuid4().hex}"
    if service == "ssm":
        setup.put_parameter(Name=name, Value="v", Type="String", Overwrite=True)
    else:
        setup.create_secret(Name=name, SecretString="v")
    url = f"http://{moto_proxy.host}:{moto_proxy.port}"
    config = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1})
    store = store_class(boto3.client(service, endpoint_url=url, config=config))

    def read() -> str | None:
        got: dict[str, str] = (
            store.get_parameters([name]) if service == "ssm" else {name: store.get_secret(name)}
        )
        return got.get(name)

    assert read() == "v"
    with moto_proxy.trickle(1, 0.05, direction="downstream"):
        started = time.monotonic()
        with pytest.raises(BackendTimeoutError):
            read()
        elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert read() == "v"
