"""The Redis caches on a command Redis refuses (``WRONGTYPE``: the key holds a hash).

Strict (``fail_open=False``), the port's promise holds: a typed serpens error
(:class:`~serpens.errors.BackendError`, Redis' reply in its message and its cause),
never a raw redis-py ``ResponseError``. Fail-open, as serpens 2.9 did on every
``RedisError``: a read misses, a write does nothing, ``get_or_set`` calls the factory
and stores nothing over the other key; a warning is logged, the breaker stays closed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from redis import asyncio as aioredis

from serpens.errors import BackendError
from serpens_redis import AsyncRedisCache, RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def hashed(client: redis.Redis, prefix: str) -> Iterator[str]:
    """Cache key ``h`` of *prefix*, held in Redis by a hash."""
    client.hset(f"{prefix}:h", "a", "1")
    yield "h"
    client.delete(f"{prefix}:h")


@pytest.fixture
async def async_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    own = aioredis.Redis.from_url(redis_url)
    yield own
    await own.aclose()


def test_a_strict_cache_raises_a_backend_error(
    client: redis.Redis, prefix: str, hashed: str
) -> None:
    cache = RedisCache(client, prefix=prefix, fail_open=False)
    for call in (lambda: cache.get(hashed), lambda: cache.get_or_set(hashed, lambda: 1)):
        with pytest.raises(BackendError, match="WRONGTYPE") as raised:
            call()
        assert type(raised.value) is BackendError  # Redis answered: not an outage
        assert isinstance(raised.value.__cause__, redis.exceptions.ResponseError)


async def test_a_strict_async_cache_raises_a_backend_error(
    async_client: aioredis.Redis, prefix: str, hashed: str
) -> None:
    cache = AsyncRedisCache(async_client, prefix=prefix, fail_open=False)
    with pytest.raises(BackendError, match="WRONGTYPE") as raised:
        await cache.get(hashed)
    assert type(raised.value) is BackendError
    assert isinstance(raised.value.__cause__, redis.exceptions.ResponseError)


def test_a_fail_open_cache_serves_a_miss_and_keeps_the_breaker_closed(
    client: redis.Redis, prefix: str, hashed: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="serpens.cache")
    cache = RedisCache(client, prefix=prefix)
    for _ in range(5):
        assert cache.get(hashed) is None
        assert cache.get_or_set(hashed, lambda: 7) == 7
    assert client.hgetall(f"{prefix}:h") == {b"a": b"1"}  # nothing stored over it
    assert cache.guard is not None
    assert not cache.guard.is_open
    assert any("WRONGTYPE" in r.getMessage() for r in caplog.records)
    cache.set("other", 1)
    assert cache.get("other") == 1


async def test_a_fail_open_async_cache_calls_the_factory(
    async_client: aioredis.Redis, prefix: str, hashed: str
) -> None:
    cache = AsyncRedisCache(async_client, prefix=prefix)

    async def factory() -> int:
        return 7

    assert await cache.get(hashed) is None
    assert await cache.get_or_set(hashed, factory) == 7
    assert cache.guard is not None
    assert not cache.guard.is_open
