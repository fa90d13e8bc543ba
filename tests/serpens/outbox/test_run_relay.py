"""serpens.outbox.run_relay on the fakes: rounds until stopped, each with relay's options."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Mapping

import pytest

from serpens._rules.outbox import OutboxRecord
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemoryRepository,
    InMemorySession,
)
from serpens.outbox import run_relay
from serpens.ports import Payload
from serpens_contract.outbox import ManualClock

TOPIC = "projects/shop/topics/orders"


def _commit(database: InMemoryDatabase, *payloads: str, key: str | None = None) -> None:
    with InMemorySession(database) as session:
        outbox = InMemoryOutbox(session)
        for payload in payloads:
            outbox.put(TOPIC, payload, ordering_key=key)
        session.commit()


async def _published(publisher: InMemoryPublisher, count: int) -> None:
    """Return once *count* messages were published (the relay runs in another task)."""
    while len(publisher.published) < count:  # noqa: ASYNC110 - the fake has no event to wait on
        await asyncio.sleep(0.01)


def _rows(database: InMemoryDatabase) -> dict[bytes, OutboxRecord]:
    return {r.payload: r for r in InMemoryRepository(OutboxRecord, database=database).list()}


async def test_run_relay_drains_waits_survives_an_outage_and_stops(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = InMemoryDatabase()
    store = InMemoryOutboxStore(database)  # the real clock: run_relay really waits
    publisher = InMemoryPublisher()
    stop = asyncio.Event()
    _commit(database, "m0", "m1", "m2")  # no ordering key: a round of 2, then one of 1
    store.start_outage()
    with caplog.at_level(logging.WARNING, logger="serpens.outbox"):
        task = asyncio.create_task(run_relay(store, publisher, poll=0.02, stop=stop, limit=2))
        await asyncio.sleep(0.1)
    assert publisher.published == []  # every round failed, logged
    assert caplog.records[0].getMessage() == (
        "outbox relay round failed: BackendUnavailableError: "
        "InMemoryOutboxStore: simulated outage, the backend is unreachable"
    )
    store.end_outage()
    async with asyncio.timeout(5):
        await _published(publisher, 3)
        _commit(database, "later")
        await _published(publisher, 4)
        stop.set()
        await task
    assert sorted(m.data for m in publisher.published) == [b"later", b"m0", b"m1", b"m2"]
    assert await store.pending() == 0


async def test_run_relay_is_cancelled_cleanly() -> None:
    task = asyncio.create_task(
        run_relay(InMemoryOutboxStore(InMemoryDatabase()), InMemoryPublisher())
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_each_round_takes_run_relays_options() -> None:
    """limit, lease, backoff, max_backoff and key_attribute reach every round."""
    database = InMemoryDatabase()
    clock = ManualClock(1_800_000_000.0)
    store = InMemoryOutboxStore(database, clock=clock)
    publisher = InMemoryPublisher()
    seen: dict[str, object] = {}
    failures = 2

    class Watching:
        """Publishes with *publisher*; the first message fails twice, the others go."""

        async def publish(
            self,
            topic: str,
            payload: Payload,
            *,
            attributes: Mapping[str, str] | None = None,
            ordering_key: str | None = None,
        ) -> str:
            nonlocal failures
            held = [r for r in _rows(database).values() if r.hidden_until > round(clock() * 1000)]
            seen.setdefault("held at the first publish", len(held))
            seen.setdefault("lease", held[0].hidden_until - round(clock() * 1000))
            if payload == b"first" and failures:
                failures -= 1
                raise RuntimeError("down")
            return await publisher.publish(
                topic, payload, attributes=attributes, ordering_key=ordering_key
            )

        async def close(self) -> None:
            await publisher.close()

    _commit(database, "first", "second", "third")
    stop = asyncio.Event()
    options = {"limit": 1, "lease": 7, "backoff": 3, "max_backoff": 4, "key_attribute": "key"}
    task = asyncio.create_task(run_relay(store, Watching(), poll=0.01, stop=stop, **options))  # type: ignore[arg-type]
    async with asyncio.timeout(5):
        await _published(publisher, 2)
        first = _rows(database)[b"first"]
        assert first.hidden_until - round(clock() * 1000) == 3000  # backoff
        clock.advance(3)
        # claimed again (its lease, 7 s), then retried: the retry lands after the claim
        while (row := _rows(database)[b"first"]).attempts < 2 or (  # noqa: ASYNC110
            row.hidden_until - round(clock() * 1000) == 7000
        ):
            await asyncio.sleep(0.01)
        assert _rows(database)[b"first"].hidden_until - round(clock() * 1000) == 4000  # the cap
        clock.advance(4)
        await _published(publisher, 3)
        stop.set()
        await task
    assert seen == {"held at the first publish": 1, "lease": 7000}
    assert all(m.attributes["key"] for m in publisher.published)
    assert await store.pending() == 0


def test_run_relay_waits_a_second_between_drained_rounds_by_default() -> None:
    assert inspect.signature(run_relay).parameters["poll"].default == 1.0


async def test_by_default_rounds_claim_100_for_30_s_and_back_off_from_1_s_to_300_s() -> None:
    database = InMemoryDatabase()
    clock = ManualClock(1_800_000_000.0)
    store = InMemoryOutboxStore(database, clock=clock)
    publisher = InMemoryPublisher(topics=[TOPIC])
    held: list[int] = []

    class Watching:
        """Publishes with *publisher*, noting how many messages the round holds and how long."""

        async def publish(
            self,
            topic: str,
            payload: Payload,
            *,
            attributes: Mapping[str, str] | None = None,
            ordering_key: str | None = None,
        ) -> str:
            now = round(clock() * 1000)
            if not held:
                claimed = [r for r in _rows(database).values() if r.attempts]
                held.extend([len(claimed), *{r.hidden_until - now for r in claimed}])
            return await publisher.publish(
                topic, payload, attributes=attributes, ordering_key=ordering_key
            )

        async def close(self) -> None:
            await publisher.close()

    _commit(database, *(f"m{i:03}" for i in range(101)))
    with InMemorySession(database) as session:  # a topic that does not exist: fails
        InMemoryOutbox(session).put("projects/shop/topics/gone", "failing")
        session.commit()
    stop = asyncio.Event()
    task = asyncio.create_task(run_relay(store, Watching(), poll=0.01, stop=stop))
    async with asyncio.timeout(10):
        await _published(publisher, 101)
        for attempt, delay in enumerate((1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300), 1):
            while _rows(database)[b"failing"].attempts < attempt:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.02)  # its retry lands
            failing = _rows(database)[b"failing"]
            assert failing.hidden_until - round(clock() * 1000) == delay * 1000, attempt
            clock.advance(delay)
        stop.set()
        await task
    assert held == [100, 30_000]  # 100 claimed at once (of 102), each for 30 s


async def test_a_wake_starts_the_next_round_at_once() -> None:
    database = InMemoryDatabase()
    store = InMemoryOutboxStore(database)
    publisher = InMemoryPublisher()
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_relay(store, publisher, poll=60, stop=stop, wake=wake))
    await asyncio.sleep(0.05)  # the first round found nothing: the relay waits its poll
    _commit(database, "m0")
    await asyncio.sleep(0.1)
    assert publisher.published == []  # not woken: it waits out the minute

    async with asyncio.timeout(5):
        wake.set()
        await _published(publisher, 1)
        _commit(database, "m1")
        wake.set()
        await _published(publisher, 2)
        stop.set()  # a minute's poll does not hold the stop back
        await task
    assert not wake.is_set()  # each round cleared it


async def test_a_wake_during_a_round_brings_another_round() -> None:
    database = InMemoryDatabase()
    store = InMemoryOutboxStore(database)
    publisher = InMemoryPublisher()
    stop, wake = asyncio.Event(), asyncio.Event()

    class CommittingMore:
        """Publishes with *publisher*; the first publish commits another message meanwhile."""

        async def publish(
            self,
            topic: str,
            payload: Payload,
            *,
            attributes: Mapping[str, str] | None = None,
            ordering_key: str | None = None,
        ) -> str:
            if payload == b"first":
                _commit(database, "second")
                wake.set()  # after the round's claim: only another round takes it
            return await publisher.publish(
                topic, payload, attributes=attributes, ordering_key=ordering_key
            )

        async def close(self) -> None:
            await publisher.close()

    _commit(database, "first")
    task = asyncio.create_task(run_relay(store, CommittingMore(), poll=60, stop=stop, wake=wake))
    async with asyncio.timeout(5):
        await _published(publisher, 2)
        stop.set()
        await task
    assert [m.data for m in publisher.published] == [b"first", b"second"]


async def test_a_wake_does_not_hurry_the_round_after_a_failed_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryOutboxStore(InMemoryDatabase())
    stop, wake = asyncio.Event(), asyncio.Event()
    store.start_outage()
    with caplog.at_level(logging.WARNING, logger="serpens.outbox"):
        task = asyncio.create_task(
            run_relay(store, InMemoryPublisher(), poll=60, stop=stop, wake=wake)
        )
        await asyncio.sleep(0.05)
        for _ in range(5):
            wake.set()
            await asyncio.sleep(0.01)
        stop.set()
        async with asyncio.timeout(5):
            await task
    assert len(caplog.records) == 1  # one failed round, then the poll's wait


async def test_a_round_that_claimed_its_limit_is_followed_at_once() -> None:
    """More may be due after a full round: the next starts without waiting out the poll."""
    database = InMemoryDatabase()
    store = InMemoryOutboxStore(database)
    publisher = InMemoryPublisher()
    _commit(database, "m0", "m1", "m2")
    stop = asyncio.Event()
    task = asyncio.create_task(run_relay(store, publisher, poll=60, stop=stop, limit=1))
    async with asyncio.timeout(5):  # three rounds of one, then a minute's poll
        await _published(publisher, 3)
        stop.set()
        await task
    assert sorted(m.data for m in publisher.published) == [b"m0", b"m1", b"m2"]
