"""Real google-cloud-pubsub clients on an emulator, for the emulator's tests."""

from __future__ import annotations

import uuid
from typing import Any

from google.cloud import pubsub_v1

__all__ = ["PROJECT", "Clients"]

PROJECT = "projects/serpens-test"


class Clients:
    """A publisher and a subscriber on ``PUBSUB_EMULATOR_HOST``, and the calls tests repeat."""

    def __init__(self) -> None:
        self.publisher = pubsub_v1.PublisherClient()
        self.subscriber = pubsub_v1.SubscriberClient()

    def topic_and_subscription(self, *, ordered: bool = False) -> tuple[str, str]:
        name = f"t{uuid.uuid4().hex[:12]}"
        topic, subscription = f"{PROJECT}/topics/{name}", f"{PROJECT}/subscriptions/{name}"
        self.publisher.create_topic(name=topic)
        self.subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "enable_message_ordering": ordered}
        )
        return topic, subscription

    def pull(self, subscription: str, max_messages: int = 10, *, timeout: float = 2) -> Any:
        """Pull, waiting up to *timeout* for a message (an empty answer then)."""
        return self.subscriber.pull(
            request={"subscription": subscription, "max_messages": max_messages},
            timeout=timeout,
            retry=None,
        ).received_messages
