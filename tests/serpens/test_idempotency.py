"""``serpens.idempotency.idempotent``: once per key, on the in-memory store and Redis."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from serpens.errors import (
    InProgressError,
    KeyReusedError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryIdempotencyStore
from serpens.idempotency import fingerprint_of, idempotent
from serpens.ports import IdempotencyStore
from serpens_contract.idempotency import ManualClock


class Calls:
    """A call counter standing in for a side effect (a charge, an email)."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> InMemoryIdempotencyStore:
    return InMemoryIdempotencyStore(clock=clock)


async def test_a_retry_replays_the_first_result_without_running(
    store: InMemoryIdempotencyStore,
) -> None:
    calls = Calls()

    @idempotent(store, key=lambda order, amount: f"charge-{order}")
    async def charge(order: str, amount: int) -> dict[str, Any]:
        calls.count += 1
        return {"order": order, "amount": amount, "parts": (1, 2)}

    first: dict[str, Any] = await charge("o-1", 10)
    assert first["parts"] == (1, 2)  # as the function returned it
    replayed: dict[str, Any] = await charge("o-1", 10)
    assert replayed == {"order": "o-1", "amount": 10, "parts": [1, 2]}  # as JSON gives it back
    assert calls.count == 1
    await charge("o-2", 10)
    assert calls.count == 2
    assert charge.__name__ == "charge"


async def test_a_result_is_replayed_for_its_ttl_only(
    store: InMemoryIdempotencyStore, clock: ManualClock
) -> None:
    calls = Calls()

    @idempotent(store, key=lambda: "k", ttl=10)
    async def work() -> int:
        calls.count += 1
        return calls.count

    assert await work() == 1
    clock.advance(9.999)
    assert await work() == 1
    clock.advance(0.001)
    assert await work() == 2


async def test_the_fingerprint_tells_a_reused_key(store: InMemoryIdempotencyStore) -> None:
    @idempotent(store, key=lambda body: str(body["id"]), fingerprint=lambda body: body)
    async def create(body: dict[str, Any]) -> str:
        return f"created {body['id']}"

    assert await create({"id": 1, "name": "a", "tags": ["x"]}) == "created 1"
    # the same payload in another key order is the same request
    assert await create({"tags": ["x"], "name": "a", "id": 1}) == "created 1"
    with pytest.raises(KeyReusedError):
        await create({"id": 1, "name": "b", "tags": ["x"]})


async def test_a_failed_call_releases_its_key(store: InMemoryIdempotencyStore) -> None:
    calls = Calls()

    @idempotent(store, key=lambda: "k")
    async def flaky() -> str:
        calls.count += 1
        if calls.count == 1:
            raise RuntimeError("downstream failed")
        return "ok"

    with pytest.raises(RuntimeError, match="downstream failed"):
        await flaky()
    assert await flaky() == "ok"
    assert await flaky() == "ok"
    assert calls.count == 2


async def test_a_cancelled_call_releases_its_key(store: InMemoryIdempotencyStore) -> None:
    started = asyncio.Event()

    @idempotent(store, key=lambda: "k")
    async def slow() -> str:
        started.set()
        await asyncio.sleep(60)
        return "never"

    task = asyncio.ensure_future(slow())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.keys() == []


async def test_a_call_of_a_key_in_progress_is_refused_with_its_wait(
    store: InMemoryIdempotencyStore,
) -> None:
    entered, leave = asyncio.Event(), asyncio.Event()

    @idempotent(store, key=lambda: "k", lease=30)
    async def work() -> str:
        entered.set()
        await leave.wait()
        return "done"

    first = asyncio.ensure_future(work())
    await entered.wait()
    with pytest.raises(InProgressError) as raised:
        await work()
    assert raised.value.retry_after == 30
    leave.set()
    assert await first == "done"
    assert await work() == "done"


async def test_a_result_that_is_not_json_raises_and_releases(
    store: InMemoryIdempotencyStore,
) -> None:
    calls = Calls()

    @idempotent(store, key=lambda: "k")
    async def work() -> object:
        calls.count += 1
        return {1, 2} if calls.count == 1 else "x" * (256 * 1024)

    with pytest.raises(SerializationError):
        await work()
    with pytest.raises(ValidationError):  # too large to store
        await work()
    assert store.keys() == []
    assert calls.count == 2


async def test_a_call_past_its_lease_stores_nothing(
    store: InMemoryIdempotencyStore, clock: ManualClock
) -> None:
    @idempotent(store, key=lambda: "k", lease=5)
    async def slow() -> str:
        clock.advance(5)
        return "late"

    with pytest.raises(LeaseLostError):
        await slow()
    assert store.keys() == []


def test_leases_and_ttls_are_checked_when_decorating(store: InMemoryIdempotencyStore) -> None:
    for options in ({"lease": 0}, {"ttl": float("nan")}, {"lease": 366 * 86400 + 1}):
        with pytest.raises(ValidationError) as raised:
            idempotent(store, key=lambda: "k", **options)
        (name,) = options
        assert [error.path for error in raised.value.errors] == [name]  # names the option


async def test_the_default_lease_is_a_minute_and_the_default_ttl_an_hour(
    store: InMemoryIdempotencyStore, clock: ManualClock
) -> None:
    entered, leave = asyncio.Event(), asyncio.Event()
    calls = Calls()

    @idempotent(store, key=lambda: "k")
    async def work() -> int:
        calls.count += 1
        entered.set()
        await leave.wait()
        return calls.count

    first = asyncio.ensure_future(work())
    await entered.wait()
    with pytest.raises(InProgressError) as raised:
        await work()
    assert raised.value.retry_after == 60
    leave.set()
    assert await first == 1
    clock.advance(3599.5)
    assert await work() == 1  # replayed for an hour
    clock.advance(0.5)
    assert await work() == 2  # then run again


async def test_a_release_the_backend_refuses_is_logged_and_the_error_kept(
    store: InMemoryIdempotencyStore, caplog: pytest.LogCaptureFixture
) -> None:
    @idempotent(store, key=lambda: "k-secret-free")
    async def work() -> str:
        store.start_outage()
        raise RuntimeError("the call's own error")

    with (
        caplog.at_level(logging.WARNING, "serpens.idempotency"),
        pytest.raises(RuntimeError, match="the call's own error"),
    ):
        await work()
    store.end_outage()
    assert "could not release idempotency key 'k-secret-free'" in caplog.text
    assert "(BackendUnavailableError)" in caplog.text  # what refused it, by its type
    with pytest.raises(InProgressError):  # the key waits for its lease
        await work()


def test_fingerprints_are_canonical_json_hashes() -> None:
    assert fingerprint_of({"a": 1, "b": [1, 2]}) == fingerprint_of({"b": [1, 2], "a": 1})
    assert fingerprint_of({"a": 1}) != fingerprint_of({"a": 2})
    assert fingerprint_of("\ud800").startswith("sha256:")
    assert len(fingerprint_of(None)) == len("sha256:") + 64
    # the stored form: compact, sorted, UTF-8 (a changed form would refuse every retry of
    # a key claimed before an upgrade as a reused key)
    canonical = '{"a":"é","b":[1,2.5]}'.encode()
    assert fingerprint_of({"b": [1, 2.5], "a": "é"}) == (
        "sha256:" + hashlib.sha256(canonical).hexdigest()
    )
    nested: list[object] = []
    for _ in range(5000):  # past the recursion limit: no bare RecursionError
        nested = [nested]
    for bad in (object(), float("nan"), {1, 2}, nested):
        with pytest.raises(SerializationError, match="cannot fingerprint the payload"):
            fingerprint_of(bad)


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[IdempotencyStore]:
    from serpens_redis import RedisIdempotencyStore  # noqa: PLC0415 - the redis extra

    store = RedisIdempotencyStore.from_url(redis_url, prefix=f"test-idempotent:{uuid.uuid4().hex}")
    yield store
    await store.aclose()


@pytest.mark.redis
async def test_the_decorator_on_redis_runs_once(redis_store: IdempotencyStore) -> None:
    calls = Calls()

    @idempotent(redis_store, key=lambda n: f"n{n}", fingerprint=lambda n: n)
    async def square(n: int) -> int:
        calls.count += 1
        return n * n

    assert list(await asyncio.gather(square(3), square(4))) == [9, 16]
    assert await square(3) == 9
    assert calls.count == 2
