"""The caches' cross-process fill lock: its default TTL, and its renewal while a fill runs.

``get_or_set`` takes a Redis lock (``SET NX PX``) before it calls the factory, and its
holder extends it every third of ``lock_ttl`` until the factory returns, so another
process (here: another cache object, which has its own in-process single flight) waits
for the holder's value instead of calling its own factory. The contract cells' factories
return at once and no cell looks at the lock, so only these tests show that a slow
fill's lock is extended (by one shared daemon thread for the sync caches, without a
busy loop, and no more once the fill is done or a renewal has failed) and that it lives
2 seconds by default. Found by mutating ``serpens_redis/_cache.py`` and ``_lock_keeper.py``;
the sync renewal thread starts with the first sync fill of the process, so the first
test here is one that checks that thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import redis
import redis.asyncio as aioredis

from serpens.ports import JSONValue
from serpens_redis import AsyncRedisCache, RedisCache

pytestmark = pytest.mark.redis

LOCK_TTL = 0.6  # renewed every 0.2 s: a renewal may be 0.4 s late before the lock lapses
HOLD = 3 * LOCK_TTL  # the holder's factory outlives three unrenewed locks
DEADLINE = 10.0  # generous bound on anything that should happen at once


def _lock(cache: RedisCache | AsyncRedisCache, key: str) -> bytes:
    return cache.lock_key(key)


def _renewed_since(client: redis.Redis, lock: str, token: bytes) -> bool:
    """Put *lock* back as *token*'s for 10 s, wait three renewal intervals: was it renewed?

    A renewal of that token sets the lock's TTL back to ``LOCK_TTL``; without one it
    keeps counting down from 10 s.
    """
    client.set(lock, token, px=10_000)
    time.sleep(LOCK_TTL)
    return client.pttl(lock) <= LOCK_TTL * 1000


def _token(client: redis.Redis, lock: str) -> bytes:
    """The token of whoever holds *lock* (read by the holder's factory)."""
    token = client.get(lock)
    assert isinstance(token, bytes)
    return token


def _wrongtype_errors(client: redis.Redis) -> int:
    """How many ``WRONGTYPE`` errors Redis has answered."""
    return int(client.info("errorstats").get("errorstat_WRONGTYPE", {}).get("count", 0))


@pytest.fixture
async def async_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    own = aioredis.Redis.from_url(redis_url)
    yield own
    await own.aclose()


@pytest.fixture
def prefix() -> str:
    return f"fill-lock-{uuid.uuid4().hex}"


def test_a_sync_fill_slower_than_the_lock_ttl_keeps_the_lock(
    client: redis.Redis, prefix: str
) -> None:
    """First in the file: the first sync fill of the process starts the renewal thread."""
    holder = RedisCache(client, prefix=prefix, lock_ttl=LOCK_TTL)
    waiter = RedisCache(client, prefix=prefix, lock_ttl=LOCK_TTL)
    started, release = threading.Event(), threading.Event()
    waiter_calls: list[str] = []
    lock = _lock(holder, "k")

    def slow() -> JSONValue:
        started.set()
        release.wait(DEADLINE)
        return "holder"

    def fast() -> JSONValue:
        waiter_calls.append("waiter")
        return "waiter"

    try:
        with ThreadPoolExecutor(2) as pool:
            held = pool.submit(holder.get_or_set, "k", slow, ttl=60)
            assert started.wait(DEADLINE)
            since, left = time.monotonic(), []
            waited = pool.submit(waiter.get_or_set, "k", fast, ttl=60)
            try:
                while time.monotonic() - since < HOLD:
                    left.append(client.pttl(lock))
                    assert left[-1] > 0, "the lock lapsed while its holder computed"
                    time.sleep(0.05)
                assert not waiter_calls
                # renewed every third of its TTL, not by a loop hammering Redis
                assert min(left) < 0.9 * LOCK_TTL * 1000
            finally:
                release.set()
            assert held.result(DEADLINE) == "holder"
            assert waited.result(DEADLINE) == "holder"
    finally:
        client.delete(holder.key("k"), lock)
    assert waiter_calls == []
    assert client.exists(lock) == 0  # the holder released it
    renewers = [t for t in threading.enumerate() if t.name == "serpens-lock-keeper"]
    assert len(renewers) == 1  # every sync keeper of the process shares one thread
    assert renewers[0].daemon


def test_a_sync_keeper_renews_no_more_once_the_fill_is_done(
    client: redis.Redis, prefix: str
) -> None:
    cache = RedisCache(client, prefix=prefix, lock_ttl=LOCK_TTL)
    lock, tokens = _lock(cache, "k"), list[bytes]()

    def factory() -> JSONValue:
        tokens.append(_token(client, lock))
        return 1

    try:
        assert cache.get_or_set("k", factory, ttl=60) == 1
        assert client.exists(lock) == 0
        assert not _renewed_since(client, lock, tokens[0])
    finally:
        client.delete(cache.key("k"), lock)


@contextmanager
def _slow_fill(cache: RedisCache, client: redis.Redis) -> Iterator[bytes]:
    """A fill of ``"k"`` that lasts until the block ends; yields the lock token it holds."""
    lock, tokens = _lock(cache, "k"), list[bytes]()
    started, release = threading.Event(), threading.Event()

    def slow() -> JSONValue:
        tokens.append(_token(client, lock))
        started.set()
        release.wait(DEADLINE)
        return "value"

    try:
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(cache.get_or_set, "k", slow, ttl=60)
            try:
                assert started.wait(DEADLINE)
                yield tokens[0]
            finally:
                release.set()
            assert held.result(DEADLINE) == "value"
    finally:
        client.delete(cache.key("k"), lock)


def test_a_sync_renewal_that_fails_ends_the_keeping(client: redis.Redis, prefix: str) -> None:
    """A renewal that raises (here: the lock key turned into a hash) is not retried."""
    cache = RedisCache(client, prefix=prefix, lock_ttl=LOCK_TTL)
    lock = _lock(cache, "k")
    with _slow_fill(cache, client) as token:
        failed = _wrongtype_errors(client)
        with client.pipeline() as swap:  # MULTI: no renewal sees the lock gone
            swap.delete(lock)
            swap.hset(lock, "not", "a lock")  # the next renewal's GET fails
            swap.execute()
        deadline = time.monotonic() + DEADLINE
        while _wrongtype_errors(client) == failed:
            assert time.monotonic() < deadline, "no renewal was tried"
            time.sleep(0.01)
        assert not _renewed_since(client, lock, token)
        client.delete(lock)


def test_the_renewal_thread_sleeps_between_renewals(client: redis.Redis, prefix: str) -> None:
    """While a fill runs, the shared thread waits for the next renewal: no busy loop."""
    cache = RedisCache(client, prefix=prefix, lock_ttl=LOCK_TTL)
    with _slow_fill(cache, client):
        (renewer,) = [t for t in threading.enumerate() if t.name == "serpens-lock-keeper"]
        assert renewer.ident is not None
        clock = time.pthread_getcpuclockid(renewer.ident)
        before = time.clock_gettime(clock)
        time.sleep(HOLD)  # nine renewals, each a short Redis call
        spent = time.clock_gettime(clock) - before
    assert spent < 0.05, f"the renewal thread used {spent:.3f} s of CPU in {HOLD} s"


@pytest.mark.parametrize("built", ["given a client", "from_url"])
def test_the_sync_lock_lives_two_seconds_by_default(
    client: redis.Redis, redis_url: str, prefix: str, built: str
) -> None:
    if built == "from_url":
        cache = RedisCache.from_url(redis_url, prefix=prefix)
    else:
        cache = RedisCache(client, prefix=prefix)
    seen: list[int] = []

    def factory() -> JSONValue:
        seen.append(client.pttl(_lock(cache, "k")))
        return 1

    try:
        assert cache.get_or_set("k", factory, ttl=60) == 1
    finally:
        client.delete(cache.key("k"))
        cache.close()
    assert len(seen) == 1
    assert 1500 < seen[0] <= 2000  # set just before the factory ran
    assert client.exists(_lock(cache, "k")) == 0  # released after the fill


@pytest.mark.parametrize("built", ["given a client", "from_url"])
async def test_the_async_lock_lives_two_seconds_by_default(
    async_client: aioredis.Redis, redis_url: str, prefix: str, built: str
) -> None:
    if built == "from_url":
        cache = AsyncRedisCache.from_url(redis_url, prefix=prefix)
    else:
        cache = AsyncRedisCache(async_client, prefix=prefix)
    seen: list[int] = []

    async def factory() -> JSONValue:
        seen.append(await async_client.pttl(_lock(cache, "k")))
        return 1

    try:
        assert await cache.get_or_set("k", factory, ttl=60) == 1
    finally:
        await async_client.delete(cache.key("k"))
        await cache.aclose()
    assert len(seen) == 1
    assert 1500 < seen[0] <= 2000
    assert await async_client.exists(_lock(cache, "k")) == 0


async def test_an_async_fill_slower_than_the_lock_ttl_keeps_the_lock(
    async_client: aioredis.Redis, prefix: str
) -> None:
    holder = AsyncRedisCache(async_client, prefix=prefix, lock_ttl=LOCK_TTL)
    waiter = AsyncRedisCache(async_client, prefix=prefix, lock_ttl=LOCK_TTL)
    started, release = asyncio.Event(), asyncio.Event()
    waiter_calls: list[str] = []
    lock = _lock(holder, "k")

    async def slow() -> JSONValue:
        started.set()
        await asyncio.wait_for(release.wait(), DEADLINE)
        return "holder"

    async def fast() -> JSONValue:
        waiter_calls.append("waiter")
        return "waiter"

    try:
        held = asyncio.create_task(holder.get_or_set("k", slow, ttl=60))
        await asyncio.wait_for(started.wait(), DEADLINE)
        since = time.monotonic()
        waited = asyncio.create_task(waiter.get_or_set("k", fast, ttl=60))
        try:
            while time.monotonic() - since < HOLD:
                assert await async_client.pttl(lock) > 0, "the lock lapsed while it was held"
                await asyncio.sleep(0.05)
            assert not waiter_calls
        finally:
            release.set()
        assert await asyncio.wait_for(held, DEADLINE) == "holder"
        assert await asyncio.wait_for(waited, DEADLINE) == "holder"
    finally:
        await async_client.delete(holder.key("k"), lock)
    assert waiter_calls == []
    assert await async_client.exists(lock) == 0


async def test_an_async_fill_leaves_no_renewal_task_behind(
    async_client: aioredis.Redis, prefix: str
) -> None:
    """The keeper's task is cancelled and awaited before ``get_or_set`` returns."""
    cache = AsyncRedisCache(async_client, prefix=prefix, lock_ttl=LOCK_TTL)
    before = asyncio.all_tasks()

    async def factory() -> JSONValue:
        return 1

    try:
        assert await cache.get_or_set("k", factory, ttl=60) == 1
    finally:
        await async_client.delete(cache.key("k"))
    assert asyncio.all_tasks() == before  # no keeper still sleeping until its next renewal
