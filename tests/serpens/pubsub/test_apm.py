"""Elastic APM spans around publishes, recorded by a real elasticapm Client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from serpens.pubsub import AsyncPublisher, publish_message
from serpens_contract import EmulatorRig
from tests._apm import RecordedApm, recorded_apm


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as recorded:
        yield recorded


async def test_each_publish_is_a_messaging_span_labelled_with_the_topic(
    apm: RecordedApm, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    apm.client.begin_transaction("request")
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, {"n": 1})
        await publisher.publish(topic, {"n": 2})
    apm.client.end_transaction("POST /orders", "success")
    spans = apm.spans()
    assert len(spans) == 2
    for span in spans:
        assert (span["type"], span["subtype"], span["action"]) == ("messaging", "pubsub", "send")
        assert span["context"]["tags"] == {"queue_name": topic}
        assert span["context"]["message"] == {"queue": {"name": topic}}
        assert span["name"] == f"PubSub PUBLISH to {topic.rsplit('/', 1)[-1]}"


def test_the_sync_helper_records_a_span_too(
    apm: RecordedApm, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    apm.client.begin_transaction("task")
    publish_message(topic, "x", timeout=5)
    apm.client.end_transaction("job", "success")
    assert [s["context"]["tags"]["queue_name"] for s in apm.spans()] == [topic]


async def test_without_a_transaction_nothing_is_recorded(
    apm: RecordedApm, rig: EmulatorRig, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, "x")
    assert apm.events == []
    assert len(rig.read(topic, 1)) == 1
