"""The IdempotencyStore contract: the fake (on the suite's clock and the real one), Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest

from serpens.fakes import InMemoryIdempotencyStore
from serpens.ports import IdempotencyStore
from serpens.testing import FaultProxy
from serpens_contract.idempotency import (
    IdempotencyCapabilities,
    IdempotencyContract,
    ManualClock,
)
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    proxy_outage,
)
from serpens_redis import PoolSettings, RedisIdempotencyStore

FAKE_OUTAGE = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=0.0)


class _FakeCell(IdempotencyContract):
    outage_capabilities = FAKE_OUTAGE

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


class TestInMemoryIdempotencyStore(_FakeCell):
    capabilities = IdempotencyCapabilities(clock="injected")

    @pytest.fixture
    def open_idempotency_store(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str], IdempotencyStore]:
        stores: dict[str, InMemoryIdempotencyStore] = {}

        def open_store(namespace: str) -> IdempotencyStore:
            if namespace not in stores:
                stores[namespace] = fake_outages.track(InMemoryIdempotencyStore(clock=clock))
            return stores[namespace]

        return open_store


class TestInMemoryIdempotencyStoreOnTheRealClock(_FakeCell):
    capabilities = IdempotencyCapabilities(clock="real", time_unit=0.1)

    @pytest.fixture
    def open_idempotency_store(
        self, fake_outages: FakeOutages
    ) -> Callable[[str], IdempotencyStore]:
        stores: dict[str, InMemoryIdempotencyStore] = {}

        def open_store(namespace: str) -> IdempotencyStore:
            if namespace not in stores:
                stores[namespace] = fake_outages.track(InMemoryIdempotencyStore(clock=time.time))
            return stores[namespace]

        return open_store


# Redis through a FaultProxy: 1 s socket timeouts bound each call (one script, one reply)
REDIS_OUTAGE = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=1.0)
REDIS_POOL = PoolSettings(socket_timeout=1.0, connect_timeout=1.0)


@pytest.mark.redis
class TestRedisIdempotencyStore(IdempotencyContract):
    outage_capabilities = REDIS_OUTAGE

    @pytest.fixture
    async def open_idempotency_store(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> AsyncIterator[Callable[[str], IdempotencyStore]]:
        stores: list[RedisIdempotencyStore] = []

        def open_store(namespace: str) -> IdempotencyStore:
            stores.append(
                RedisIdempotencyStore.from_url(
                    redis_proxy.url_for(redis_url), prefix=f"contract:{namespace}", pool=REDIS_POOL
                )
            )
            return stores[-1]

        yield open_store
        for store in stores:
            await store.aclose()

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)
