"""moto's server answers real boto3 calls, resets, and closes its port on stop.

moto keeps its state in module globals, so every in-process server of one Python process
(including the session's ``moto_server`` fixture) sees the same resources: these tests use
unique names and check membership, never that the account is empty.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

import boto3
import pytest

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.testing import start_moto
from serpens.testing._common import port_is_open


def _queue_names(sqs: Any) -> list[str]:
    return [url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])]


def test_moto_answers_sqs_and_reset_forgets_everything() -> None:
    with start_moto() as server:
        assert server.tier == "inproc"
        assert server.url.startswith("http://127.0.0.1:")
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        name = f"harness-{uuid.uuid4().hex}"
        sqs.create_queue(QueueName=name)
        assert name in _queue_names(sqs)
        server.reset()
        assert name not in _queue_names(sqs)
        port = int(server.url.rsplit(":", 1)[1])
    assert not port_is_open("127.0.0.1", port)


def test_moto_endpoint_fixture_points_the_sdk_at_moto(moto_endpoint: str) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    sqs = boto3.client("sqs")  # endpoint, credentials and region all from the environment
    url = sqs.create_queue(QueueName="fixture-queue")["QueueUrl"]
    assert url.startswith(moto_endpoint)
    sqs.delete_queue(QueueUrl=url)


def test_restart_keeps_the_port() -> None:
    with start_moto("inproc") as server:
        url = server.url
        server.restart()
        assert server.url == url
        sqs = boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        name = f"restart-{uuid.uuid4().hex}"
        sqs.create_queue(QueueName=name)  # the restarted server answers on the same port
        assert name in _queue_names(sqs)


def test_env_tier_uses_the_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_AWS_ENDPOINT_URL", moto_endpoint)
    with start_moto() as server:
        assert server.tier == "env"
        assert server.url == moto_endpoint
    assert port_is_open("127.0.0.1", int(moto_endpoint.rsplit(":", 1)[1]))


def test_unreachable_env_endpoint_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    with pytest.raises(BackendUnavailableError, match=r"ENDPOINT_URL=http://127\.0\.0\.1:1 does"):
        start_moto()


def test_bad_forced_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERPENS_TEST_AWS_TIER", "local")
    with pytest.raises(ConfigurationError, match="aws supports: env, inproc"):
        start_moto()


def test_the_server_logs_no_line_per_request() -> None:
    root = logging.getLogger().level
    with start_moto("inproc"):
        assert logging.getLogger("werkzeug").level == logging.ERROR  # werkzeug's access log
        assert logging.getLogger().level == root  # and nothing else changed


def test_the_tier_argument_forces_that_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("SERPENS_TEST_AWS_TIER", raising=False)
    with pytest.raises(BackendUnavailableError, match=r"\(tier=env\); tried:\n  - env: "):
        start_moto("env")  # never the in-process server instead
