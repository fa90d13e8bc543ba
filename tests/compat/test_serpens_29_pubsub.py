"""Code written for serpens 2.9.0 keeps running unchanged: ``serpens.pubsub``.

Each test is a 2.9.0 publish call site, read back from the Pub/Sub emulator through
google-cloud-pubsub.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.exceptions import NotFound
from google.cloud import pubsub_v1

from serpens import pubsub
from serpens.errors import NotFoundError


class TestPubSub:
    """2.9.0's ``serpens.pubsub`` call sites, read back through google-cloud-pubsub."""

    @pytest.fixture(name="topic")
    def _topic(self, pubsub_emulator_host: str) -> Iterator[tuple[str, Any]]:
        topic = f"projects/compat/topics/t{uuid.uuid4().hex[:10]}"
        subscription = topic.replace("/topics/", "/subscriptions/")
        pubsub_v1.PublisherClient().create_topic(name=topic)
        subscriber = pubsub_v1.SubscriberClient()
        subscriber.create_subscription(name=subscription, topic=topic)
        yield topic, lambda n: _pull(subscriber, subscription, n)
        subscriber.close()

    def test_publish_helpers_take_the_2_9_shapes(self, topic: tuple[str, Any]) -> None:
        name, pull = topic
        pubsub.publish_message(name, {"id": 1}, "order-1", {"kind": "created"})
        pubsub.publish_message(name, "plain", ordering_key="")
        pubsub.publish_message(f"{name}:webhook", {"id": 2})
        pubsub.publish_message_batch(
            name, [{"body": {"id": 3}, "attributes": {"kind": "batch"}}, {"body": "four"}], ""
        )
        # 2.9 handed attributes to the SDK, which takes bytes values as UTF-8 text
        pubsub.publish_message(name, "five", attributes={"kind": "ação".encode()})
        got = {m.data: (dict(m.attributes), m.ordering_key) for m in pull(6)}
        assert got == {
            b'{"id":1}': ({"kind": "created"}, "order-1"),
            b"plain": ({}, ""),
            b'{"id":2}': ({"endpoint": "webhook"}, ""),
            b'{"id":3}': ({"kind": "batch"}, ""),
            b"four": ({}, ""),
            b"five": ({"kind": "ação"}, ""),
        }

    async def test_async_publisher_default_key(self, topic: tuple[str, Any]) -> None:
        name, pull = topic
        publisher = pubsub.AsyncPublisher(ordering_key="tenant-7")
        await publisher.publish(name, {"id": 1})
        publisher.close()
        (message,) = pull(1)
        assert message.ordering_key == "tenant-7"

    def test_a_missing_topic_is_google_s_not_found(self, pubsub_emulator_host: str) -> None:
        with pytest.raises(NotFound) as caught:  # what 2.9.0 services catch
            pubsub.publish_message("projects/compat/topics/never-created", "x")
        assert isinstance(caught.value, NotFoundError)


def _pull(subscriber: Any, subscription: str, expected: int) -> list[Any]:
    messages: list[Any] = []
    for _ in range(50):
        if len(messages) >= expected:
            break
        answer = subscriber.pull(subscription=subscription, max_messages=10, timeout=5)
        if answer.received_messages:
            subscriber.acknowledge(
                subscription=subscription, ack_ids=[r.ack_id for r in answer.received_messages]
            )
        messages += [r.message for r in answer.received_messages]
    return messages
