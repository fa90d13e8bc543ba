"""Elastic APM spans around publishes, recorded by a real elasticapm Client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import elasticapm
import pytest

from serpens.pubsub import AsyncPublisher, publish_message
from serpens_contract import EmulatorRig


class RecordingClient(elasticapm.Client):  # type: ignore[misc]
    """A real APM client whose events stay in memory instead of going to a server."""

    def __init__(self, **config: Any) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        super().__init__(**config)

    def queue(self, event_type: str, data: dict[str, Any], flush: bool = False) -> None:
        self.events.append((event_type, data))

    def spans(self) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == "span"]


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordingClient]:
    client = RecordingClient(
        service_name="serpens-tests",
        central_config=False,
        cloud_provider="none",
        metrics_interval="0ms",
        disable_log_record_factory=True,
        instrument=False,
        breakdown_metrics=False,
        skip_server_info=True,
        server_version=(8, 0, 0),
        # exact-match exit spans would be compressed into one composite span
        span_compression_enabled=False,
    )
    yield client
    client.close()


async def test_each_publish_is_a_messaging_span_labelled_with_the_topic(
    apm: RecordingClient, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    apm.begin_transaction("request")
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, {"n": 1})
        await publisher.publish(topic, {"n": 2})
    apm.end_transaction("POST /orders", "success")
    spans = apm.spans()
    assert len(spans) == 2
    for span in spans:
        assert (span["type"], span["subtype"], span["action"]) == ("messaging", "pubsub", "send")
        assert span["context"]["tags"] == {"queue_name": topic}
        assert span["context"]["message"] == {"queue": {"name": topic}}
        assert span["name"] == f"PubSub PUBLISH to {topic.rsplit('/', 1)[-1]}"


def test_the_sync_helper_records_a_span_too(
    apm: RecordingClient, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    apm.begin_transaction("task")
    publish_message(topic, "x", timeout=5)
    apm.end_transaction("job", "success")
    assert [s["context"]["tags"]["queue_name"] for s in apm.spans()] == [topic]


async def test_without_a_transaction_nothing_is_recorded(
    apm: RecordingClient, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, "x")
    assert apm.events == []
    assert len(rig.read(topic, 1)) == 1
