"""Publishing while the broker is down: a clear error, nothing lost, nothing sent twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest

from serpens.errors import BackendUnavailableError
from serpens.pubsub import AsyncPublisher, publish_message
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig

TIMEOUT = 1.0


@pytest.fixture(name="outage")
def _outage(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[InProcessPubSubEmulator, EmulatorRig, str]]:
    """A private emulator (so stopping it disturbs no one), a rig and a topic on it."""
    emulator = InProcessPubSubEmulator()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.start())
    rig = EmulatorRig(publisher=None)  # type: ignore[arg-type]  # only the read-back is used
    topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
    rig.create_topic(topic)
    yield emulator, rig, topic
    emulator.start()
    rig.close()
    emulator.stop()


async def _until_published(attempts: Iterator[Coroutine[Any, Any, str]]) -> str:
    for attempt in attempts:
        try:
            return await attempt
        except BackendUnavailableError:
            await asyncio.sleep(0.2)
    raise AssertionError("the broker never came back")


async def _ticking(seconds: float) -> int:
    ticks = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_an_outage_fails_the_publish_without_blocking_the_loop_or_duplicating(
    outage: tuple[InProcessPubSubEmulator, EmulatorRig, str],
) -> None:
    emulator, rig, topic = outage
    async with AsyncPublisher(timeout=TIMEOUT) as publisher:
        before = await publisher.publish(topic, "before")
        emulator.stop()

        started = time.monotonic()
        ticker = asyncio.ensure_future(_ticking(TIMEOUT / 2))
        with pytest.raises(BackendUnavailableError, match="gave up"):
            await publisher.publish(topic, "during")
        with pytest.raises(BackendUnavailableError):
            await publisher.publish(topic, "during-ordered", ordering_key="k")
        assert time.monotonic() - started < TIMEOUT * 2 + 2
        assert await ticker >= 10  # the loop kept running while the publish waited

        emulator.start()  # same port, same state
        # The caller's own retry loop: gRPC reconnects with back-off, so the first attempts
        # may still fail; failed attempts must publish nothing.
        retried = await _until_published(publisher.publish(topic, "during") for _ in range(50))
        ordered = await _until_published(
            publisher.publish(topic, "after-ordered", ordering_key="k") for _ in range(50)
        )

    got = rig.read(topic, 3)
    assert sorted((m.data, m.message_id) for m in got) == sorted(
        [(b"before", before), (b"during", retried), (b"after-ordered", ordered)]
    )


async def test_a_publish_rides_out_an_outage_shorter_than_its_timeout(
    outage: tuple[InProcessPubSubEmulator, EmulatorRig, str],
) -> None:
    """Transient errors are retried until the publish timeout, not raised at once."""
    emulator, rig, topic = outage
    async with AsyncPublisher(timeout=10) as publisher:
        await publisher.publish(topic, "before")
        emulator.stop()
        pending = asyncio.ensure_future(publisher.publish(topic, "during"))
        await asyncio.sleep(0.5)
        assert not pending.done()  # still retrying: a refused connection is transient
        emulator.start()  # same port, same state
        during = await asyncio.wait_for(pending, 15)

    got = rig.read(topic, 2)
    assert sorted(m.data for m in got) == [b"before", b"during"]
    assert during in {m.message_id for m in got}


def test_the_sync_helper_reports_the_outage_and_recovers(
    outage: tuple[InProcessPubSubEmulator, EmulatorRig, str],
) -> None:
    emulator, rig, topic = outage
    emulator.stop()
    with pytest.raises(BackendUnavailableError):
        publish_message(topic, "during", timeout=TIMEOUT)
    emulator.start()
    message_id = publish_message(topic, "after", timeout=10)  # covers gRPC's reconnect back-off
    assert [(m.data, m.message_id) for m in rig.read(topic, 1)] == [(b"after", message_id)]
