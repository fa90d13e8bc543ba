"""One publisher test's view: the rig, the loop driving its async publisher, topic names.

Shared by every case mixin (the ``session`` fixture gives a :class:`_Session`) and by the
differential test, which names its topics under the same :data:`PROJECT`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serpens.ports import Payload
from serpens_contract.publisher._rigs import PublisherRig
from serpens_contract.runner import SyncDriver

PROJECT = "serpens-contract"


class _Session:
    """One test's view: the rig, a loop driving the async publisher, topic names."""

    def __init__(self, rig: PublisherRig, runner: asyncio.Runner, namespace: str) -> None:
        self.rig = rig
        self.runner = runner
        self.namespace = namespace
        self.publisher: Any = SyncDriver(rig.publisher, runner)

    def topic(self, name: str = "main", *, create: bool = True) -> str:
        topic = f"projects/{PROJECT}/topics/{self.namespace}-{name}"
        if create:
            self.rig.create_topic(topic)
        return topic

    def publish_all(self, topic: str, payloads: list[Payload], **options: Any) -> list[str]:
        """Issue every publish before awaiting any (concurrent publishes)."""

        async def gather() -> list[str]:
            calls = [self.rig.publisher.publish(topic, p, **options) for p in payloads]
            return list(await asyncio.gather(*calls))

        result: list[str] = self.runner.run(gather())
        return result


_BAD_TOPICS = [
    pytest.param("orders", id="short-name"),
    pytest.param("projects/p/topics/", id="empty-name"),
    pytest.param("projects/p/topics/ab", id="name-too-short"),
    pytest.param("projects/p/topics/1orders", id="starts-with-digit"),
    pytest.param("projects/p/topics/goog-orders", id="goog-prefix"),
    pytest.param("projects/p/subscriptions/orders", id="subscription-id"),
    pytest.param("projects/p/topics/orders/extra", id="trailing-segment"),
    pytest.param("projects//topics/orders", id="empty-project"),
    pytest.param("projects/p/topics/or ders", id="space"),
    # the project as Google Cloud spells one: these reached the SDK, the emulator and the
    # outbox's database as bare UnicodeEncodeError and ValueError, or published
    pytest.param("projects/a\x00b/topics/orders", id="nul-in-project"),
    pytest.param("projects/a\x01b/topics/orders", id="control-character-in-project"),
    pytest.param("projects/a\ud800b/topics/orders", id="lone-surrogate-in-project"),
    pytest.param("projects/\u00e9/topics/orders", id="non-ascii-project"),
    pytest.param("projects/a b/topics/orders", id="space-in-project"),
    pytest.param("projects/My-Project/topics/orders", id="uppercase-project"),
]
