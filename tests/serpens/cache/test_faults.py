"""Faults injected on a real Redis: a frozen server, a full one, and many misses at once.

- A frozen Redis (``CLIENT PAUSE``) costs one ``get_or_set`` one socket timeout, not one
  per round trip (it used to make three sequential round trips that each timed out).
- A Redis at ``maxmemory`` under ``noeviction`` rejects writes; reads of the entries it
  holds keep hitting (the rejected writes used to open the breaker the reads share).
- A sync ``get_or_set`` miss does not start a thread of its own to keep its fill lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from redis import asyncio as aioredis

from serpens.cache import (
    redis_cached_get_or_set,
    redis_get,
    redis_get_client,
    redis_init,
    redis_set,
)
from serpens.testing import RedisServer
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache

pytestmark = pytest.mark.redis

TIMEOUT = 0.3
"""The socket timeout of the caches under test: the whole Redis budget of one call."""


@pytest.fixture
def running(own_redis: RedisServer) -> Iterator[RedisServer]:
    own_redis.start()
    yield own_redis
    own_redis.start()


@pytest.fixture
async def full(admin: aioredis.Redis) -> AsyncIterator[None]:
    """The server at ``maxmemory`` under ``noeviction``: every write answers ``OOM``."""
    policy = (await admin.config_get("maxmemory-policy"))["maxmemory-policy"]
    await admin.config_set("maxmemory-policy", "noeviction")
    await admin.config_set("maxmemory", "1")
    try:
        yield
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.config_set("maxmemory-policy", policy)


@pytest.fixture
async def admin(running: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(running.url)
    yield client
    await client.ping()  # answered once a pause a test started is over
    await client.aclose()


async def _frozen(admin: aioredis.Redis) -> None:
    """Freeze the server: every command waits 1.5 s (``CLIENT PAUSE``) before it runs."""
    await admin.execute_command("CLIENT", "PAUSE", 1500, "ALL")


async def test_a_frozen_redis_costs_an_async_get_or_set_one_timeout(
    running: RedisServer, admin: aioredis.Redis, prefix: str
) -> None:
    cache = AsyncRedisCache.from_url(
        running.url, prefix=prefix, fail_open=True, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    try:
        await cache.get("warm")  # a pooled connection: only the command can time out
        await _frozen(admin)
        began = time.monotonic()
        assert await cache.get_or_set("k", lambda: _value("fresh"), ttl=60) == "fresh"
        elapsed = time.monotonic() - began
    finally:
        await cache.aclose()
    assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5, f"{elapsed:.2f} s for a {TIMEOUT} s budget"


async def test_a_frozen_redis_costs_redis_cached_get_or_set_one_timeout(
    running: RedisServer, admin: aioredis.Redis, prefix: str
) -> None:
    await redis_init(running.url, prefix=prefix)  # the documented 0.5 s socket timeout
    await redis_get("warm")
    await _frozen(admin)
    began = time.monotonic()
    assert await redis_cached_get_or_set("k", 60, lambda: "fresh") == "fresh"
    elapsed = time.monotonic() - began
    assert elapsed < 0.5 * 1.5, f"{elapsed:.2f} s for a 0.5 s budget (was 1.5 s)"


def test_a_frozen_redis_costs_a_sync_get_or_set_one_timeout(
    running: RedisServer, prefix: str
) -> None:
    cache = RedisCache.from_url(
        running.url, prefix=prefix, fail_open=True, pool=PoolSettings(socket_timeout=TIMEOUT)
    )
    admin = redis.Redis.from_url(running.url)
    try:
        cache.get("warm")
        admin.execute_command("CLIENT", "PAUSE", 1500, "ALL")
        began = time.monotonic()
        assert cache.get_or_set("k", lambda: "fresh", ttl=60) == "fresh"
        elapsed = time.monotonic() - began
    finally:
        admin.ping()  # answered once the pause is over
        admin.close()
        cache.close()
    assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5, f"{elapsed:.2f} s for a {TIMEOUT} s budget"


async def test_a_strict_cache_raises_a_timeout_within_one_budget(
    running: RedisServer, admin: aioredis.Redis, prefix: str
) -> None:
    cache = AsyncRedisCache.from_url(
        running.url, prefix=prefix, pool=PoolSettings(socket_timeout=TIMEOUT), fail_open=False
    )
    try:
        await cache.get("warm")
        await _frozen(admin)
        began = time.monotonic()
        with pytest.raises(Exception, match="Redis timed out"):
            await cache.get_or_set("k", lambda: _value("fresh"), ttl=60)
        elapsed = time.monotonic() - began
    finally:
        await cache.aclose()
    assert elapsed < TIMEOUT * 1.5


async def _value(value: str) -> str:
    return value


@pytest.mark.usefixtures("full")
async def test_a_full_redis_keeps_serving_the_entries_it_holds(
    running: RedisServer, admin: aioredis.Redis, prefix: str
) -> None:
    await redis_init(running.url, prefix=prefix)
    await admin.config_set("maxmemory", "0")
    await redis_set("present", {"v": 1}, ttl=60)
    await admin.config_set("maxmemory", "1")
    hits = 0
    for n in range(200):
        for m in range(3):  # a burst of writes, each rejected: OOM
            await redis_set(f"new:{n}:{m}", n, ttl=60)
        assert await redis_cached_get_or_set(f"miss:{n}", 60, lambda: "computed") == "computed"
        hits += await redis_get("present") == {"v": 1}
    assert hits == 200  # every read of a present key hit (it was 0.1 % before)
    assert await redis_get_client().get(f"{prefix}:present") == '{"v":1}'
    assert await admin.exists(f"{prefix}:new:0:0", f"{prefix}:miss:0") == 0


@pytest.mark.usefixtures("full")
def test_a_full_redis_keeps_serving_a_sync_cache(running: RedisServer, prefix: str) -> None:
    cache = RedisCache.from_url(running.url, prefix=prefix, fail_open=True)
    admin = redis.Redis.from_url(running.url)
    try:
        admin.config_set("maxmemory", "0")
        cache.set("present", "here")
        admin.config_set("maxmemory", "1")
        for n in range(100):
            for m in range(3):
                cache.set(f"new:{n}:{m}", n)
            assert cache.get("present") == "here"
        assert cache.guard is not None
        assert not cache.guard.is_open
    finally:
        admin.close()
        cache.close()


def test_sync_misses_share_one_lock_keeper_thread(redis_url: str, prefix: str) -> None:
    cache = RedisCache.from_url(redis_url, prefix=prefix, lock_ttl=0.1, fail_open=False)
    seen: set[int] = set()

    def factory(n: int) -> int:
        seen.add(threading.active_count())
        time.sleep(0.05)  # longer than one renewal interval (lock_ttl / 3)
        return n

    try:
        cache.get_or_set("warm-up", lambda: factory(-1))
        before = threading.active_count()
        for n in range(50):
            assert cache.get_or_set(f"k{n}", lambda n=n: factory(n)) == n
        after = threading.active_count()
        assert threading.active_count() == before
        assert after == before
        assert max(seen) == before  # no thread of its own while a factory ran
        assert cache.client.keys(f"{prefix}:*".encode() + b"\xfflock") == []  # every lock released
    finally:
        cache.close()
