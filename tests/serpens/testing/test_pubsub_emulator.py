"""The gcloud Pub/Sub emulator tier (and the in-process one) serve the real client."""

from __future__ import annotations

import importlib.util
import os
import uuid

import pytest
from google.cloud import pubsub_v1

from serpens.errors import BackendUnavailableError, ConfigurationError
from serpens.testing import PubSubEmulator, start_pubsub_emulator
from serpens.testing import _pubsub as pubsub_module
from serpens.testing._common import port_is_open


def _create_topic(host: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PUBSUB_EMULATOR_HOST", host)  # read when the client is constructed
        publisher = pubsub_v1.PublisherClient()
    name = f"projects/serpens-test/topics/harness-{uuid.uuid4().hex[:8]}"
    try:
        return str(publisher.create_topic(name=name, timeout=30).name)
    finally:
        publisher.transport.close()


def _host_port(emulator: PubSubEmulator) -> tuple[str, int]:
    host, _, port = emulator.host.rpartition(":")
    return host, int(port)


def test_gcloud_emulator_tier_creates_a_topic_and_stops() -> None:
    emulator = start_pubsub_emulator("local")
    try:
        assert emulator.tier == "local"
        assert emulator.host.startswith("127.0.0.1:")
        assert _create_topic(emulator.host).startswith("projects/serpens-test/topics/harness-")
        process = emulator._process
        assert process is not None
    finally:
        emulator.stop()
    assert process.poll() is not None
    assert not port_is_open(*_host_port(emulator))


def test_session_fixture_sets_the_variable(pubsub_emulator_host: str) -> None:
    assert os.environ["PUBSUB_EMULATOR_HOST"] == pubsub_emulator_host
    assert _create_topic(pubsub_emulator_host).startswith("projects/serpens-test/topics/")


def test_env_tier_uses_the_variable(
    pubsub_emulator_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERPENS_TEST_PUBSUB_TIER", raising=False)
    with start_pubsub_emulator() as emulator:
        assert emulator.tier == "env"
        assert emulator.host == pubsub_emulator_host
    assert port_is_open(*_host_port(emulator))  # not ours to stop


def test_unreachable_env_host_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:1")
    with pytest.raises(BackendUnavailableError, match=r"PUBSUB_EMULATOR_HOST=127\.0\.0\.1:1 does"):
        start_pubsub_emulator()


def test_missing_in_process_emulator_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pubsub_module, "_INPROC_MODULE", "serpens.testing.no_such_emulator")
    with pytest.raises(BackendUnavailableError) as caught:
        start_pubsub_emulator("inproc")
    message = str(caught.value)
    assert "cannot start a pubsub server for the tests (tier=inproc)" in message
    assert "serpens.testing.no_such_emulator.InProcessPubSubEmulator is not importable" in message


@pytest.mark.skipif(
    importlib.util.find_spec("serpens.testing.pubsub_emulator") is None,
    reason="the in-process emulator ships with the Pub/Sub adapter (messaging issue)",
)
def test_in_process_tier_creates_a_topic() -> None:
    with start_pubsub_emulator("inproc") as emulator:
        assert emulator.tier == "inproc"
        assert _create_topic(emulator.host).startswith("projects/serpens-test/topics/")
    assert not port_is_open(*_host_port(emulator))


def test_pubsub_has_no_embedded_tier() -> None:
    with pytest.raises(ConfigurationError, match="pubsub supports: env, local, inproc"):
        start_pubsub_emulator("embedded")
