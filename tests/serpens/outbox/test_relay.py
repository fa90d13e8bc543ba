"""serpens.outbox.relay and run_relay on the fakes: publish, settle, retry, order, stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import pytest

import serpens.outbox
from serpens.errors import BackendUnavailableError, ValidationError
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemorySession,
)
from serpens.outbox import RelayReport, relay, retry_delay, run_relay
from serpens.ports import Payload
from serpens_contract.outbox import ManualClock

TOPIC = "projects/shop/topics/orders"
OTHER = "projects/shop/topics/refunds"


class _Hooked:
    """A Publisher that runs *hook* before each publish, then publishes with *inner*."""

    def __init__(self, inner: InMemoryPublisher, hook: Callable[[], Awaitable[None]]) -> None:
        self.inner = inner
        self.hook = hook

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        await self.hook()
        return await self.inner.publish(
            topic, payload, attributes=attributes, ordering_key=ordering_key
        )

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture(name="database")
def _database() -> InMemoryDatabase:
    return InMemoryDatabase()


@pytest.fixture(name="store")
def _store(database: InMemoryDatabase, clock: ManualClock) -> InMemoryOutboxStore:
    return InMemoryOutboxStore(database, clock=clock)


def _commit(database: InMemoryDatabase, *messages: tuple[str, str, str | None]) -> list[str]:
    """Stage ``(topic, payload, ordering_key)`` messages in one unit of work and commit."""
    with InMemorySession(database) as session:
        outbox = InMemoryOutbox(session)
        keys = [outbox.put(t, p, attributes={"n": p}, ordering_key=k) for t, p, k in messages]
        session.commit()
    return keys


async def test_a_round_publishes_what_was_committed_and_deletes_it(
    database: InMemoryDatabase, store: InMemoryOutboxStore
) -> None:
    _commit(database, (TOPIC, "a1", "a"), (TOPIC, "b1", "b"), (OTHER, "n", None))
    publisher = InMemoryPublisher()
    report = await relay(store, publisher)
    assert report == RelayReport(delivered=3)
    assert report.claimed == 3
    sent = sorted(
        (m.topic, m.data, dict(m.attributes), m.ordering_key) for m in publisher.published
    )
    assert sent == [
        (TOPIC, b"a1", {"n": "a1"}, "a"),
        (TOPIC, b"b1", {"n": "b1"}, "b"),
        (OTHER, b"n", {"n": "n"}, None),
    ]
    assert await store.pending() == 0
    assert await relay(store, publisher) == RelayReport()


async def test_a_failed_publish_is_retried_after_a_doubling_delay_and_holds_its_key(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    """A missing topic fails; its key waits behind it; once the topic exists all go, in order."""
    _commit(database, (OTHER, "r1", "k"), (TOPIC, "o1", "k"), (TOPIC, "free", None))
    publisher = InMemoryPublisher(topics=[TOPIC])
    assert await relay(store, publisher) == RelayReport(delivered=1, retried=1)
    assert [m.data for m in publisher.published] == [b"free"]
    assert await relay(store, publisher) == RelayReport()  # r1 waits 1 s; o1 waits behind it
    clock.advance(1.0)
    assert await relay(store, publisher) == RelayReport(retried=1)  # second failure: 2 s
    clock.advance(1.999)
    assert await relay(store, publisher) == RelayReport()
    clock.advance(0.001)
    publisher.create_topic(OTHER)
    assert await relay(store, publisher) == RelayReport(delivered=1)  # r1, attempt 3
    assert await relay(store, publisher) == RelayReport(delivered=1)  # then o1
    assert [m.data for m in publisher.published] == [b"free", b"r1", b"o1"]


async def test_each_failure_of_a_round_is_counted_and_delayed_by_the_given_backoff(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    _commit(database, (OTHER, "x", None), (OTHER, "y", None), (TOPIC, "z", None))
    publisher = InMemoryPublisher(topics=[TOPIC])
    report = await relay(store, publisher, backoff=0.5, max_backoff=0.75)
    assert report == RelayReport(delivered=1, retried=2)
    clock.advance(0.499)
    assert await relay(store, publisher) == RelayReport()
    clock.advance(0.001)
    assert await relay(store, publisher, backoff=0.5, max_backoff=0.75) == RelayReport(retried=2)
    clock.advance(0.749)  # the second failure: 1 s, capped at 0.75 s
    assert await relay(store, publisher) == RelayReport()
    clock.advance(0.001)
    assert await relay(store, publisher, backoff=0, max_backoff=0) == RelayReport(retried=2)
    assert await relay(store, publisher) == RelayReport(retried=2)  # no delay: due at once


async def test_any_exception_of_the_publisher_is_a_retry_never_a_loss(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    _commit(database, (TOPIC, "m", None))
    failures = [RuntimeError("the SDK broke")]

    async def fail_once() -> None:
        if failures:
            raise failures.pop()

    publisher = InMemoryPublisher()
    assert await relay(store, _Hooked(publisher, fail_once)) == RelayReport(retried=1)
    clock.advance(1.0)
    assert await relay(store, _Hooked(publisher, fail_once)) == RelayReport(delivered=1)
    assert [m.data for m in publisher.published] == [b"m"]


async def test_a_publish_slower_than_the_lease_is_lost_and_published_again(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    _commit(database, (TOPIC, "slow", None))

    async def slow() -> None:
        clock.advance(5.0)

    publisher = InMemoryPublisher()
    assert await relay(store, _Hooked(publisher, slow), lease=5) == RelayReport(lost=1)
    assert await relay(store, publisher) == RelayReport(delivered=1)
    assert [m.data for m in publisher.published] == [b"slow", b"slow"]  # at least once


async def test_a_failure_slower_than_the_lease_is_lost_not_retried(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    """Its retry comes too late: the message is due again when the lease ends anyway."""
    _commit(database, (TOPIC, "slow and failing", None), (TOPIC, "fine", None))

    async def slow_then_fail() -> None:
        clock.advance(5.0)
        raise TimeoutError

    publisher = InMemoryPublisher()
    report = await relay(store, _Hooked(publisher, slow_then_fail), lease=5)
    assert report == RelayReport(lost=2)
    assert await relay(store, publisher) == RelayReport(delivered=2)  # due at once


async def test_a_key_attribute_carries_the_outbox_key_on_every_publish(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    """Consumers drop repeats by it: a message published twice carries one key."""
    [key] = _commit(database, (TOPIC, "m", None))

    async def slow() -> None:
        clock.advance(5.0)

    publisher = InMemoryPublisher()
    hooked = _Hooked(publisher, slow)
    assert await relay(store, hooked, lease=5, key_attribute="outbox-key") == RelayReport(lost=1)
    assert await relay(store, publisher, key_attribute="outbox-key") == RelayReport(delivered=1)
    assert [dict(m.attributes) for m in publisher.published] == [{"n": "m", "outbox-key": key}] * 2


async def test_failures_are_logged_with_the_key_never_the_payload(
    database: InMemoryDatabase, store: InMemoryOutboxStore, caplog: pytest.LogCaptureFixture
) -> None:
    [key] = _commit(database, (OTHER, "card 4111 1111 1111 1111", None))
    with caplog.at_level(logging.WARNING, logger="serpens.outbox"):
        await relay(store, InMemoryPublisher(topics=[TOPIC]), backoff=2.5)
    [record] = caplog.records
    assert record.getMessage() == (
        f"outbox message 1 ({key}) to {OTHER} failed attempt 1: NotFoundError: "
        f"topic {OTHER} does not exist; due again in 2.5 s"
    )


async def test_a_lost_claim_is_logged_with_its_lease(
    database: InMemoryDatabase,
    store: InMemoryOutboxStore,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [key] = _commit(database, (TOPIC, "slow", None))

    async def slow() -> None:
        clock.advance(5.0)

    with caplog.at_level(logging.WARNING, logger="serpens.outbox"):
        await relay(store, _Hooked(InMemoryPublisher(), slow), lease=5)
    assert [r.getMessage() for r in caplog.records] == [
        (
            f"outbox message 1 ({key}) to {TOPIC} was settled after its lease of 5 s ended: "
            "it will be published again"
        )
    ]


async def test_the_defaults_claim_100_for_30_s_and_back_off_from_1_s_to_300_s(
    database: InMemoryDatabase, store: InMemoryOutboxStore, clock: ManualClock
) -> None:
    _commit(database, *((TOPIC, f"m{i}", None) for i in range(101)))
    publisher = InMemoryPublisher()
    assert await relay(store, publisher) == RelayReport(delivered=100)
    assert await relay(store, publisher) == RelayReport(delivered=1)

    async def thirty_seconds() -> None:
        clock.advance(30.0)

    _commit(database, (TOPIC, "slow", None))
    assert await relay(store, _Hooked(publisher, thirty_seconds)) == RelayReport(lost=1)

    _commit(database, (OTHER, "failing", None))
    failing = InMemoryPublisher(topics=[TOPIC])
    assert await relay(store, failing) == RelayReport(delivered=1, retried=1)  # "slow" again
    for delay in (1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300):  # then the cap
        clock.advance(delay - 0.001)
        assert (await relay(store, failing)).claimed == 0
        clock.advance(0.001)
        assert await relay(store, failing) == RelayReport(retried=1)


async def test_a_store_outage_raises_and_loses_nothing(
    database: InMemoryDatabase, store: InMemoryOutboxStore
) -> None:
    _commit(database, (TOPIC, "m", None))
    publisher = InMemoryPublisher()
    with store.outage(), pytest.raises(BackendUnavailableError):
        await relay(store, publisher)
    assert publisher.published == []
    assert await relay(store, publisher) == RelayReport(delivered=1)


def test_retry_delay_doubles_from_backoff_up_to_the_cap() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 9, 10, 11, 10_000)] == [1, 2, 4, 256, 300, 300, 300]
    assert retry_delay(3, backoff=0.5, max_backoff=10) == 2.0
    assert retry_delay(0) == 1.0
    assert retry_delay(1, backoff=0, max_backoff=0) == 0.0


async def test_bad_arguments_are_refused_before_any_claim(
    database: InMemoryDatabase, store: InMemoryOutboxStore
) -> None:
    _commit(database, (TOPIC, "m", None))
    publisher = InMemoryPublisher()
    bad: list[dict[str, object]] = [
        {"backoff": -1},
        {"backoff": float("nan")},
        {"max_backoff": float("inf")},
        {"backoff": True},
        {"backoff": 10, "max_backoff": 5},
        {"limit": 0},
        {"lease": 0},
        {"key_attribute": ""},
        {"key_attribute": "k" * 257},
        {"key_attribute": 7},
    ]
    for options in bad:
        with pytest.raises(ValidationError):
            await relay(store, publisher, **options)  # type: ignore[arg-type]
    for poll in (0, -1, float("inf"), True, "1"):
        with pytest.raises(ValidationError, match="poll"):
            await run_relay(store, publisher, poll=poll)  # type: ignore[arg-type]
    for options in bad:  # run_relay refuses them too, before its first round
        with pytest.raises(ValidationError):
            await run_relay(store, publisher, **options)  # type: ignore[arg-type]
    assert publisher.published == []
    assert await relay(store, publisher) == RelayReport(delivered=1)  # nothing was claimed


def test_the_table_is_exported_for_migrations() -> None:
    """Imported on first access (they need SQLAlchemy), then kept as module attributes."""
    record, metadata = serpens.outbox.OutboxRecord, serpens.outbox.outbox_metadata
    assert (serpens.outbox.OutboxRecord, serpens.outbox.outbox_metadata) == (record, metadata)
    assert record.__tablename__ == "serpens_outbox"
    assert "serpens_outbox" in metadata.tables
    with pytest.raises(AttributeError, match="nothing"):
        _ = serpens.outbox.nothing


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("backoff", 400 * 86_400, id="backoff-over-366-days"),
        pytest.param("max_backoff", 400 * 86_400, id="max-backoff-over-366-days"),
        pytest.param("backoff", 10**400, id="backoff-too-large-for-a-float"),
        pytest.param("max_backoff", 10**400, id="max-backoff-too-large-for-a-float"),
    ],
)
async def test_a_delay_no_store_takes_is_refused_before_the_round_claims(
    database: InMemoryDatabase, store: InMemoryOutboxStore, name: str, value: int
) -> None:
    """A retry's ``after`` is at most 366 days: a longer backoff failed mid-round before."""
    _commit(database, (TOPIC, "a1", None))
    options = {"backoff": 1.0, "max_backoff": 10**9 if name == "backoff" else 1.0, name: value}
    with pytest.raises(ValidationError, match=name):
        await relay(store, InMemoryPublisher(), **options)
    assert len(await store.claim()) == 1  # nothing claimed, nothing held


@pytest.mark.parametrize("poll", [10**400, 400 * 86_400], ids=["huge-int", "over-366-days"])
async def test_a_poll_interval_no_sleep_takes_is_refused(
    store: InMemoryOutboxStore, poll: int
) -> None:
    with pytest.raises(ValidationError, match="poll"):
        async with asyncio.timeout(5):  # a regression would sleep, not raise
            await run_relay(store, InMemoryPublisher(), poll=poll)
