"""Redis outages: callers see no exceptions, warnings are logged (rate-limited), and the
cache works again within a second of the server coming back, without re-initialising."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from redis import asyncio as aioredis

from serpens.cache import (
    redis_cached,
    redis_cached_get_or_set,
    redis_delete,
    redis_get,
    redis_get_client,
    redis_init,
    redis_pool,
    redis_set,
)
from serpens.errors import BackendTimeoutError, BackendUnavailableError
from serpens.testing import RedisServer
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def running(own_redis: RedisServer) -> Iterator[RedisServer]:
    own_redis.start()
    yield own_redis
    own_redis.start()  # leave it running for the next test


async def _until_works(deadline_s: float) -> float:
    """Seconds until a write then a read round-trips through Redis again."""
    began = time.monotonic()
    while time.monotonic() - began < deadline_s:
        await redis_set("probe", "back", ttl=30)
        if await redis_get("probe") == "back":
            return time.monotonic() - began
        await asyncio.sleep(0.01)
    pytest.fail(f"the cache did not recover within {deadline_s} s")


async def test_an_outage_degrades_to_no_cache_and_recovery_needs_no_restart(
    running: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    await redis_init(running.url, prefix=prefix)
    calls: list[str] = []

    @redis_cached("products", ttl=60)
    async def product(slug: str) -> dict[str, str]:
        calls.append(slug)
        return {"slug": slug}

    await redis_set("user", {"name": "Ana"}, ttl=60)
    assert await product("shoe") == {"slug": "shoe"}
    assert calls == ["shoe"]

    running.stop()
    with caplog.at_level(logging.WARNING, logger="serpens.cache"):
        began = time.perf_counter()
        for _ in range(200):
            assert await redis_get("user") is None
            await redis_set("user", {"name": "Bia"}, ttl=60)
            assert await redis_delete("user") is False
            assert await product("shoe") == {"slug": "shoe"}
            assert await redis_cached_get_or_set("token", 60, lambda: "fresh") == "fresh"
            assert await redis_get_client().get(f"{prefix}:user") is None
        elapsed = time.perf_counter() - began
    assert len(calls) == 201  # every decorated call fell through to the function
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 <= len(warnings) <= 3, [r.getMessage() for r in warnings]
    assert "serving misses" in warnings[0].getMessage()
    assert elapsed < 2.0, f"1200 calls during the outage took {elapsed:.2f} s"

    running.start()
    assert await _until_works(1.0) < 1.0
    assert await product("boot") == {"slug": "boot"}
    assert await product("boot") == {"slug": "boot"}
    assert calls[-1] == "boot"
    assert len(calls) == 202


async def test_the_fastapi_client_fails_open_and_recovers(
    running: RedisServer, prefix: str
) -> None:
    dependency = redis_pool(running.url)
    agen = dependency()
    client = await agen.__anext__()
    assert await client.set(f"{prefix}:k", "v") is True
    running.stop()
    assert await client.get(f"{prefix}:k") is None
    assert await client.set(f"{prefix}:k", "w") is None
    assert await client.delete(f"{prefix}:k") == 0  # as 2.9.0: a count, not None
    pipe = client.pipeline()
    pipe.get(f"{prefix}:k")
    pipe.incr(f"{prefix}:n")
    assert await pipe.execute() == [None, None]
    running.start()
    began = time.monotonic()
    while await client.get(f"{prefix}:k") is None:
        await client.set(f"{prefix}:k", "again")
        await asyncio.sleep(0.01)
        assert time.monotonic() - began < 1.0
    await agen.aclose()
    await dependency.aclose()


def test_the_sync_adapter_fails_open_and_recovers(running: RedisServer, prefix: str) -> None:
    cache = RedisCache.from_url(running.url, prefix=prefix, fail_open=True)
    try:
        cache.set("k", 1)
        running.stop()
        assert cache.get("k") is None
        cache.set("k", 2)
        assert cache.delete("k") is False
        assert cache.get_or_set("k", lambda: 3) == 3
        cache.clear()
        running.start()
        began = time.monotonic()
        while cache.get("k") != 4:
            cache.set("k", 4)
            time.sleep(0.01)
            assert time.monotonic() - began < 1.0
    finally:
        cache.close()


async def test_a_strict_adapter_raises_typed_errors(running: RedisServer, prefix: str) -> None:
    cache = AsyncRedisCache.from_url(running.url, prefix=prefix, fail_open=False)
    try:
        running.stop()
        with pytest.raises(BackendUnavailableError):
            await cache.get("k")
    finally:
        await cache.aclose()


async def test_a_strict_adapter_raises_a_timeout_error_while_redis_stalls(
    running: RedisServer, prefix: str
) -> None:
    cache = AsyncRedisCache.from_url(
        running.url, prefix=prefix, pool=PoolSettings(socket_timeout=0.1), fail_open=False
    )
    admin = aioredis.Redis.from_url(running.url)
    try:
        await cache.set("k", 1)
        await admin.client_pause(400)  # the server holds every command for 0.4 s
        with pytest.raises(BackendTimeoutError, match="Redis timed out"):
            await cache.get("k")
        await asyncio.sleep(0.4)
        # then it answers again; on a loaded machine a reconnect may still miss its 0.1 s
        # socket timeout once or twice, so allow it a few seconds
        give_up = time.monotonic() + 3.0
        while True:
            try:
                assert await cache.get("k") == 1
                break
            except BackendTimeoutError:
                if time.monotonic() > give_up:
                    raise
                await asyncio.sleep(0.05)
    finally:
        await admin.aclose()
        await cache.aclose()


def test_a_strict_sync_adapter_raises_the_same_typed_errors(
    running: RedisServer, prefix: str
) -> None:
    cache = RedisCache.from_url(running.url, prefix=prefix, fail_open=False)
    try:
        running.stop()
        with pytest.raises(BackendUnavailableError, match="Redis is unavailable"):
            cache.get("k")
        with pytest.raises(BackendUnavailableError):
            cache.get_or_set("k", lambda: 1)
    finally:
        cache.close()


async def test_a_full_redis_degrades_writes_without_raising(
    running: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """maxmemory reached under ``noeviction``: writes answer OOM, callers see no error."""
    await redis_init(running.url, prefix=prefix)
    admin = aioredis.Redis.from_url(running.url)
    await redis_set("before", 1, ttl=60)
    await admin.config_set("maxmemory-policy", "noeviction")
    await admin.config_set("maxmemory", "1")
    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            await redis_set("k", {"v": 1}, ttl=60)
            assert await redis_cached_get_or_set("token", 60, lambda: "fresh") == "fresh"
            assert await redis_get("k") is None
        assert "OutOfMemoryError" in caplog.text
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
    assert await _until_works(1.0) < 1.0
