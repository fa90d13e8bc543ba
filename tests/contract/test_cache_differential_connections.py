"""The cache suite's differential test holds one example's connections at a time.

Each example of the differential test opens a cache of its own. Until they were disposed
of when their example ended, every example's cache kept its connection until the test
ended, and a run of 150 examples through the Redis cells' ``FaultProxy`` (128
connections at once, more are reset) failed correct caches: a fail-open cache served
misses, a strict one raised. Here a proxy allowing four connections carries runs of
twelve examples of strict caches, sync and async, on the session's Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from serpens.fakes import InMemoryCache
from serpens.testing import FaultProxy, RedisServer
from serpens_contract import CacheCapabilities
from serpens_contract._clock import ManualClock
from serpens_contract.cache._differential import _CacheDifferentialCases
from serpens_contract.cache._support import AsyncCacheView, OpenedCaches
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache

pytestmark = pytest.mark.redis

EXAMPLES = 12
ALLOWED = 4  # connections the proxy lets through at once; a thirteenth example's is reset
POOL = PoolSettings(socket_timeout=1.0, connect_timeout=1.0)


class _StrictRedisCell(_CacheDifferentialCases):
    capabilities = CacheCapabilities(clock="real", ttl_resolution=0.001, outage="strict")


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(
        upstream=(redis_server.host, redis_server.port), max_connections=ALLOWED
    ) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def _budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # derandomised, no example database, no shrinking: the same twelve examples each run
    monkeypatch.setenv("SERPENS_CONTRACT_PROFILE", "ci")
    monkeypatch.setenv("SERPENS_CONTRACT_EXAMPLES", str(EXAMPLES))
    monkeypatch.setenv("SERPENS_CONTRACT_STEPS", "4")
    monkeypatch.setenv("SERPENS_CONTRACT_SHRINK", "0")


def _run(opened: OpenedCaches) -> None:
    _StrictRedisCell().test_differential_against_fake(opened, ManualClock())


def test_each_example_disposes_of_its_sync_cache(proxy: FaultProxy, redis_url: str) -> None:
    """A strict ``RedisCache`` per example, through a proxy of four connections."""
    opened = OpenedCaches(
        lambda namespace: RedisCache.from_url(
            proxy.url_for(redis_url), prefix=f"contract:{namespace}", pool=POOL, fail_open=False
        )
    )
    try:
        _run(opened)
        assert proxy.stats().accepted > ALLOWED  # more examples than the proxy lets through
        assert proxy.stats().resets == 0
    finally:
        opened.dispose_all()


def test_each_example_disposes_of_its_async_cache(proxy: FaultProxy, redis_url: str) -> None:
    """A strict ``AsyncRedisCache`` per example, closed with ``aclose`` on the suite's loop."""
    with asyncio.Runner() as runner:

        async def create(namespace: str) -> AsyncRedisCache:
            return AsyncRedisCache.from_url(
                proxy.url_for(redis_url), prefix=f"contract:{namespace}", pool=POOL, fail_open=False
            )

        opened = OpenedCaches(
            lambda namespace: AsyncCacheView(runner.run(create(namespace)), runner)
        )
        try:
            _run(opened)
            assert proxy.stats().accepted > ALLOWED
            assert proxy.stats().resets == 0
        finally:
            opened.dispose_all()


def test_a_cache_disposed_of_early_is_not_disposed_of_again() -> None:
    """``dispose`` clears and closes once; ``dispose_all`` leaves that cache alone."""
    closed: list[str] = []

    class Closing(InMemoryCache):  # the fake, with a close() that says it ran
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name
            self.set("k", name)

        def close(self) -> None:
            closed.append(self.name)

    opened = OpenedCaches(Closing)
    first, second = opened("a"), opened("b")
    opened.dispose(first)
    assert (closed, first.get("k"), second.get("k")) == (["a"], None, "b")
    opened.dispose_all()
    opened.dispose_all()
    assert (closed, second.get("k")) == (["a", "b"], None)
