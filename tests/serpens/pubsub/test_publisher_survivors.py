"""serpens.pubsub behaviours the other publisher tests left unpinned, on the in-process emulator.

A mutation run over ``serpens/pubsub.py`` showed these promises were not checked: where a
``topic:endpoint`` suffix starts and ends, bare str/bytes items of a batch (their body,
the batch attributes and key), the batch's own ``timeout`` (validated, passed to the SDK,
and not cut short by the batching slack), the process-wide client of the sync helpers,
and a publisher closed before its first publish. Each test publishes for real and reads
the topic back, or shows that nothing was published.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from serpens import pubsub
from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    NotInitializedError,
    ValidationError,
)
from serpens.pubsub import AsyncPublisher, publish_message, publish_message_batch
from serpens_contract import EmulatorRig

_GIVE_UP_WITHIN = 4.0  # seconds: well over the 0.5 s timeout, under the 5 s batching slack


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


class TestEndpointSuffix:
    def test_the_suffix_starts_at_the_first_colon_after_the_name(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        """A second ``:`` belongs to the endpoint (2.9 crashed on it), not to the topic."""
        topic = new_topic()
        message_id = publish_message(f"{topic}:hook:v2", "x")
        (got,) = rig.read(topic, 1)
        assert got.message_id == message_id
        assert got.attributes == {"endpoint": "hook:v2"}

    def test_a_suffix_holding_another_topic_path_is_refused(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        """The name is what follows the last ``/topics/``: a malformed id publishes nothing."""
        topic = new_topic()
        with pytest.raises(ValidationError, match="topic"):
            publish_message(f"{topic}:hook/topics/other", "x")
        assert rig.read(topic, 0) == []


class TestBatchItems:
    def test_bare_str_and_bytes_items_carry_the_batch_attributes_and_key(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        ids = publish_message_batch(
            f"{topic}:billing", ["text", b"raw"], "k", attributes={"src": "batch"}
        )
        got = rig.read(topic, 2)
        assert [m.message_id for m in got] == ids
        assert [m.data for m in got] == [b"text", b"raw"]
        expected = {"src": "batch", "endpoint": "billing"}
        assert [m.attributes for m in got] == [expected, expected]
        assert [m.ordering_key for m in got] == ["k", "k"]

    def test_a_bad_item_is_reported_with_its_type(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        with pytest.raises(ValidationError) as caught:
            publish_message_batch(topic, ["ok", 42])  # type: ignore[list-item]
        (error,) = caught.value.errors
        assert error.path == "messages[1]"
        assert "int" in error.message
        assert rig.read(topic, 0) == []


class TestBatchTimeout:
    def test_an_invalid_timeout_is_refused_before_publishing(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        with pytest.raises(ConfigurationError, match="timeout"):
            publish_message_batch(topic, ["x"], timeout=0)
        assert rig.read(topic, 0) == []

    def test_a_timeout_shorter_than_the_slack_still_returns_every_id(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        ids = publish_message_batch(topic, ["a", "b", "c"], timeout=2)
        got = rig.read(topic, 3)
        assert [m.message_id for m in got] == ids
        assert len(set(ids)) == 3

    def test_an_unreachable_broker_fails_the_batch_within_its_timeout(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", _closed_port())
        monkeypatch.setenv("PUBSUB_PUBLISH_TIMEOUT", "0.5")
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="orders"):
            publish_message_batch("projects/serpens-test/topics/orders", ["x"], timeout=0.5)
        assert time.monotonic() - started < _GIVE_UP_WITHIN


def test_the_sync_helpers_reuse_one_client_per_emulator_host(
    rig: EmulatorRig, new_topic: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """2.9 built a client per call; serpens keeps one per ``PUBSUB_EMULATOR_HOST`` value."""
    topic = new_topic()
    publish_message(topic, "first")
    clients = pubsub._default_clients()
    publish_message_batch(topic, ["second"])
    assert pubsub._default_clients() is clients
    assert len(rig.read(topic, 2)) == 2
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", _closed_port())
    assert pubsub._default_clients() is not clients


async def test_a_publisher_closed_before_its_first_publish_refuses_to_publish(
    rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    publisher = AsyncPublisher(timeout=5)
    await publisher.aclose()
    with pytest.raises(NotInitializedError) as caught:
        await publisher.publish(topic, "late")
    assert "closed" in str(caught.value).lower()
    assert publisher._clients is None  # no SDK client was built for it
    assert rig.read(topic, 0) == []
