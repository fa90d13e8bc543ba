"""The fake's extras for assertions, and the adapter's ownership of its publisher."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from serpens.errors import BackendUnavailableError, ConfigurationError, NotFoundError
from serpens.fakes import InMemoryPublisher
from serpens.pubsub import AsyncPublisher
from serpens_contract import EmulatorRig
from serpens_pubsub import PubSubPublisher

TOPIC = "projects/my-project/topics/orders"


class TestInMemoryPublisher:
    async def test_every_valid_topic_exists_unless_topics_are_listed(self) -> None:
        assert await InMemoryPublisher().publish(TOPIC, "x") == "1"
        listed = InMemoryPublisher(topics=[TOPIC])
        await listed.publish(TOPIC, "x")
        with pytest.raises(NotFoundError):
            await listed.publish("projects/my-project/topics/other", "x")

    async def test_ids_and_times_come_from_the_injected_sources(self) -> None:
        at = datetime(2024, 5, 1, tzinfo=UTC)
        fake = InMemoryPublisher(id_factory=iter(["a", "b"]).__next__, clock=lambda: at)
        assert [await fake.publish(TOPIC, "1"), await fake.publish(TOPIC, "2")] == ["a", "b"]
        assert [(m.message_id, m.text, m.published_at) for m in fake.messages(TOPIC)] == [
            ("a", "1", at),
            ("b", "2", at),
        ]

    async def test_fail_next_publishes_nothing_then_recovers(self) -> None:
        fake = InMemoryPublisher()
        fake.fail_next(BackendUnavailableError("broker down"), times=2)
        for _ in range(2):
            with pytest.raises(BackendUnavailableError):
                await fake.publish(TOPIC, "lost?")
        await fake.publish(TOPIC, "kept")
        assert [m.text for m in fake.published] == ["kept"]
        fake.clear()
        assert fake.published == []


class TestPubSubPublisher:
    async def test_a_shared_publisher_outlives_the_adapter(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        shared = AsyncPublisher(timeout=5)
        async with PubSubPublisher(shared) as adapter:
            await adapter.publish(topic, "via adapter")
        with pytest.raises(ConfigurationError):
            await adapter.publish(topic, "after close")
        await shared.publish(topic, "still open")
        await shared.aclose()
        assert sorted(m.data for m in rig.read(topic, 2)) == [b"still open", b"via adapter"]
