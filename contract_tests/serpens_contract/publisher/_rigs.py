"""How the suite reads back what a publisher sent: the rig protocol and the two rigs.

A rig pairs the publisher under test with a way to see its messages as a consumer does:
:class:`EmulatorRig` pulls through subscriptions on a Pub/Sub emulator, :class:`FakeRig`
reads the fake's record. Both give :class:`Received` messages.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from serpens.fakes import InMemoryPublisher
from serpens.ports import Publisher


@dataclass(frozen=True, slots=True)
class Received:
    """A message as a subscriber received it."""

    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str


class PublisherRig(Protocol):
    """What the suite drives: the publisher under test plus a way to see what it sent."""

    publisher: Publisher

    def create_topic(self, topic: str) -> None:
        """Create *topic* (and whatever the rig needs to read it back, e.g. a subscription)."""
        ...

    def read(self, topic: str, expected: int) -> list[Received]:
        """Everything published to *topic* since it was created and not read yet.

        Waits until at least *expected* messages arrived (up to a few seconds), then
        returns all of them, duplicates included, in delivery order.
        """
        ...

    def close(self) -> None:
        """Release what the rig created."""
        ...


RigFactory = Callable[[str], PublisherRig]


class FakeRig:
    """A rig over :class:`~serpens.fakes.InMemoryPublisher` (or a subclass of it)."""

    def __init__(self, publisher: InMemoryPublisher | None = None) -> None:
        self.fake = InMemoryPublisher(topics=()) if publisher is None else publisher
        self.publisher: Publisher = self.fake
        self._seen: dict[str, int] = {}

    def create_topic(self, topic: str) -> None:
        self.fake.create_topic(topic)
        self._seen[topic] = 0

    def read(self, topic: str, expected: int) -> list[Received]:
        messages = self.fake.messages(topic)[self._seen.get(topic, 0) :]
        self._seen[topic] = self._seen.get(topic, 0) + len(messages)
        return [
            Received(m.message_id, m.data, dict(m.attributes), m.ordering_key or "")
            for m in messages
        ]

    def close(self) -> None:
        """Nothing to release."""


def _subscriber(pubsub_v1: Any) -> Any:
    """A SubscriberClient that can pull a 10 MB message from the emulator.

    With ``PUBSUB_EMULATOR_HOST`` the SDK opens a bare ``grpc.insecure_channel``, whose
    4 MiB receive limit refuses a pull Pub/Sub itself serves; the channel given here has
    the unlimited receive size of the SDK's production channel.
    """
    import grpc  # noqa: PLC0415 - suites import SDKs lazily
    from google.pubsub_v1.services.subscriber.transports import (  # noqa: PLC0415
        SubscriberGrpcTransport,
    )

    channel = grpc.insecure_channel(
        os.environ["PUBSUB_EMULATOR_HOST"], options=[("grpc.max_receive_message_length", -1)]
    )
    return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))


class EmulatorRig:
    """A rig that reads back through ordered subscriptions on a Pub/Sub emulator.

    Works with gcloud's emulator and ``serpens.testing.pubsub_emulator`` alike;
    ``PUBSUB_EMULATOR_HOST`` must point at the emulator while the rig is used.
    """

    def __init__(self, publisher: Publisher, *, wait: float = 5.0) -> None:
        from google.cloud import pubsub_v1  # noqa: PLC0415 - suites import SDKs lazily

        self.publisher = publisher
        self._admin = pubsub_v1.PublisherClient()
        self._subscriber = _subscriber(pubsub_v1)
        self._subscriptions: dict[str, str] = {}
        self._wait = wait

    def create_topic(self, topic: str) -> None:
        self._admin.create_topic(name=topic)
        project, name = topic.split("/")[1], topic.split("/")[3]
        subscription = f"projects/{project}/subscriptions/{name}-contract"
        self._subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "enable_message_ordering": True}
        )
        self._subscriptions[topic] = subscription

    def _pull(self, subscription: str) -> list[Received]:
        with warnings.catch_warnings():
            # Deprecated for consumers, but the right tool for a read-back that must not
            # block: both emulators honour it.
            warnings.filterwarnings("ignore", "The return_immediately flag", DeprecationWarning)
            response = self._subscriber.pull(
                request={
                    "subscription": subscription,
                    "max_messages": 100,
                    "return_immediately": True,
                }
            )
        received = response.received_messages
        if received:
            self._subscriber.acknowledge(
                subscription=subscription, ack_ids=[r.ack_id for r in received]
            )
        return [
            Received(
                r.message.message_id,
                bytes(r.message.data),
                dict(r.message.attributes),
                r.message.ordering_key,
            )
            for r in received
        ]

    def read(self, topic: str, expected: int) -> list[Received]:
        subscription = self._subscriptions[topic]
        messages: list[Received] = []
        deadline = time.monotonic() + self._wait
        while len(messages) < expected and time.monotonic() < deadline:
            batch = self._pull(subscription)
            messages.extend(batch)
            if not batch:
                time.sleep(0.02)
        messages.extend(self._pull(subscription))  # a duplicate would show up here
        return messages

    def close(self) -> None:
        for topic, subscription in self._subscriptions.items():
            self._subscriber.delete_subscription(subscription=subscription)
            self._admin.delete_topic(topic=topic)
        self._subscriptions.clear()
        self._subscriber.close()
        self._admin.transport.close()
