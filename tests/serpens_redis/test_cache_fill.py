"""The sync cache's ``get_or_set`` beyond a plain miss: waits, locks, faults, options.

A caller that misses and finds the fill lock taken (here by "another process": a lock
key set straight in Redis, which never ends unless the test says so) waits for the
holder's value: it polls the entry (5 ms, doubling up to 50 ms between polls), serves
the value as soon as it appears, and after five lock TTLs of a holder that keeps its
lock but never stores, calls its own factory and stores the result. A fill leaves
nothing behind but its entry: the lock goes once the fill is over, whether the
factory's result was stored, not cacheable (``None``), or already there when the lock
was won. A hit is one round trip; the in-process single flight is per key;
``cache_none`` (the adapter's own option) stores ``null``. A Redis freezing mid-fill is
``test_cache_fill_freezes.py``'s subject.

The contract cells' factories return at once, no cell holds a lock from outside or
freezes Redis between two commands, and the sync contract has no concurrent case, so
only these tests show those; found by mutating ``serpens_redis/_cache.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest
import redis

from serpens.ports import JSONValue
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import RedisCache
from tests.serpens_redis._cache_fill_support import (
    DEADLINE,
    FILL_LATE,
    LATE,
    LOCK_TTL,
    OTHER,
    OTHER_FILL_AT,
    PATIENT,
    PROMPT,
    STORE_AT,
    Call,
    keys_under,
    lock_key,
    unreachable_url,
)

pytestmark = pytest.mark.redis


@pytest.mark.parametrize(
    ("value", "stored"), [("mine", b'"mine"'), (None, b"null")], ids=["value", "cached None"]
)
def test_a_waiter_stops_waiting_for_a_holder_that_never_stores(
    client: redis.Redis, redis_url: str, prefix: str, value: JSONValue, stored: bytes
) -> None:
    """Five lock TTLs after its miss the waiter calls its own factory, and stores the result.

    The holder keeps its lock (a renewing process whose factory hangs): the waiter's
    value is cached with the waiter's TTL, and the holder's lock is left alone.
    """
    cache = RedisCache.from_url(redis_url, prefix=prefix, lock_ttl=LOCK_TTL)
    lock = lock_key(cache, "k")
    client.set(lock, OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return value

    try:
        began = time.monotonic()
        call = Call(cache, factory, cache_none=True)
        assert call.result() == value
        assert call.returned_at - began >= 5 * LOCK_TTL  # it did wait for the holder
    finally:
        cache.close()
    assert calls == [1]
    assert client.get(cache.key("k")) == stored
    assert 59_000 < client.pttl(cache.key("k")) <= 60_000
    assert client.get(lock) == OTHER


class _Entry(NamedTuple):
    """What another fill stores, and what a caller waiting for it then returns."""

    decode_responses: bool  # the waiter's client
    stored: bytes
    cache_none: bool  # the waiter's
    expected: JSONValue


@pytest.mark.parametrize(
    "entry",
    [
        _Entry(decode_responses=False, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=True, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=False, stored=b"null", cache_none=True, expected=None),
    ],
    ids=["bytes", "str", "cached None"],
)
def test_a_waiter_serves_the_holders_value_at_its_next_poll(
    client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The value is served within a poll of being stored, while the lock is still held.

    The waiter neither waits for the lock to go nor calls its factory, and it sleeps
    between polls (no busy loop on Redis); the same with a client decoding its answers,
    and for a stored ``null`` when the caller caches ``None``.
    """
    own = redis.Redis.from_url(redis_url, decode_responses=entry.decode_responses)
    cache = RedisCache(own, prefix=prefix)  # a 2 s lock: it would wait up to 10 s
    lock = lock_key(cache, "k")
    client.set(lock, OTHER, px=60_000)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "mine"

    try:
        call = Call(cache, factory, cache_none=entry.cache_none)
        time.sleep(STORE_AT / 2)
        cpu = call.cpu_seconds()
        time.sleep(STORE_AT / 2)
        spent = call.cpu_seconds() - cpu
        client.set(cache.key("k"), entry.stored, px=60_000)
        stored_at = time.monotonic()
        assert call.result() == entry.expected
        assert call.returned_at - stored_at < PROMPT
    finally:
        own.close()
    assert calls == []
    assert client.get(lock) == OTHER
    assert spent < 0.05, f"the waiting thread used {spent:.3f} s of CPU in {STORE_AT / 2} s"


def test_a_fill_whose_factory_returns_none_leaves_nothing(client: redis.Redis, prefix: str) -> None:
    """No entry (``None`` is not cached by default) and no lock: the next miss fills at once."""
    cache = RedisCache(client, prefix=prefix)
    try:
        assert cache.get_or_set("k", lambda: None, ttl=60) is None
        assert keys_under(client, prefix) == []
    finally:
        cache.close()


@pytest.mark.parametrize("reachable", [True, False], ids=["reachable", "unreachable"])
def test_a_slow_fill_holds_up_no_miss_of_another_key(
    redis_url: str, prefix: str, reachable: bool
) -> None:
    """The in-process single flight is per key, also while Redis is unreachable (fail-open).

    While one thread's factory for ``slow`` runs, a miss of ``fast`` in another thread
    fills and returns its own value at once.
    """
    cache = RedisCache.from_url(redis_url if reachable else unreachable_url(), prefix=prefix)
    started, release = threading.Event(), threading.Event()
    results: dict[str, JSONValue] = {}

    def slow() -> JSONValue:
        started.set()
        release.wait(DEADLINE)
        return "slow value"

    def fill(key: str, factory: Callable[[], JSONValue]) -> threading.Thread:
        def run() -> None:
            results[key] = cache.get_or_set(key, factory, ttl=60)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    try:
        held = fill("slow", slow)
        assert started.wait(DEADLINE)
        fast = fill("fast", lambda: "fast value")
        fast.join(2.0)
        assert not fast.is_alive(), "the miss of another key waited for the slow fill"
        assert results == {"fast": "fast value"}
    finally:
        release.set()
        held.join(DEADLINE)
        cache.close()
    assert results == {"fast": "fast value", "slow": "slow value"}


def test_cache_none_stores_a_none_result_as_a_hit(client: redis.Redis, prefix: str) -> None:
    """The adapter's own option (the port has none): a miss still calls the factory.

    Its ``None`` is stored as JSON ``null`` with the call's TTL, so the next call with
    ``cache_none`` is a hit; a call without it reads the ``null`` as a miss.
    """
    cache = RedisCache(client, prefix=prefix)
    calls: list[str] = []

    def factory(value: JSONValue) -> Callable[[], JSONValue]:
        def call() -> JSONValue:
            calls.append(str(value))
            return value

        return call

    assert cache.get_or_set("k", factory(None), ttl=60, cache_none=True) is None
    assert client.get(cache.key("k")) == b"null"
    assert 59_000 < client.pttl(cache.key("k")) <= 60_000
    assert cache.get_or_set("k", factory("again"), ttl=60, cache_none=True) is None
    assert cache.get_or_set("k", factory("filled"), ttl=60) == "filled"
    assert calls == ["None", "filled"]


@pytest.fixture
def late_answers(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


@pytest.mark.parametrize(
    "entry",
    [
        _Entry(decode_responses=False, stored=b'"other"', cache_none=False, expected="other"),
        _Entry(decode_responses=False, stored=b"null", cache_none=True, expected=None),
    ],
    ids=["value", "cached None"],
)
def test_a_lock_won_after_another_fill_serves_its_value_and_is_released(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The caller that wins the lock and finds the other fill's value lets the lock go.

    Its answers come back 500 ms late (its requests reach Redis at once): its miss is
    read at 0 s, its lock taken at 0.5 s as the other fill lands, and its read under the
    lock at 1 s finds it (a ``null`` too, for a caller caching ``None``).
    Nothing but that entry is left in Redis.
    """
    cache = RedisCache.from_url(late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT)
    calls: list[int] = []

    def factory() -> JSONValue:
        calls.append(1)
        return "computed again"

    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(FILL_LATE, direction="downstream"):
            call = Call(cache, factory, cache_none=entry.cache_none)
            time.sleep(OTHER_FILL_AT)
            client.set(cache.key("k"), entry.stored, px=60_000)
            assert call.result() == entry.expected
    finally:
        cache.close()
    assert calls == []
    assert keys_under(client, prefix) == [cache.key("k").encode()]


def test_a_hit_is_one_round_trip(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str
) -> None:
    """A stored value is served from the first read: no fill lock, no second command."""
    cache = RedisCache.from_url(late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT)
    client.set(cache.key("k"), b'"stored"', px=60_000)
    try:
        cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(LATE, direction="downstream"):
            began = time.monotonic()
            assert cache.get_or_set("k", lambda: "computed", ttl=60) == "stored"
            elapsed = time.monotonic() - began
    finally:
        cache.close()
    assert elapsed < 2 * LATE / 1000, f"{elapsed:.2f} s: more than one {LATE} ms answer"
