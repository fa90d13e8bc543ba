"""The RateLimit contract on the in-process limiter and the Redis-backed one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from serpens.rate_limit import RateLimiter
from serpens.testing import FaultProxy
from serpens_contract.outage import ALL_KINDS, OutageCapabilities, OutageHook, proxy_outage
from serpens_contract.rate_limit import RateLimitCapabilities, RateLimitContract
from serpens_redis import RedisRateLimiter


class TestRateLimiter(RateLimitContract):
    @pytest.fixture
    def open_rate_limiter(self) -> Callable[[str, float, float, int | None], RateLimiter]:
        return lambda name, rate, per, burst: RateLimiter(rate, per, burst=burst)


class TestRedisRateLimiter(RateLimitContract):
    capabilities = RateLimitCapabilities(shared_quota=True)
    # a client of your own through a FaultProxy: 1 s socket timeouts, no retries
    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS, deadline=1.0)

    @pytest.fixture
    def outage(self, redis_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(redis_proxy)

    @pytest.fixture
    async def open_rate_limiter(
        self, redis_url: str, redis_proxy: FaultProxy
    ) -> AsyncIterator[Callable[[str, float, float, int | None], RedisRateLimiter]]:
        client = aioredis.Redis.from_url(
            redis_proxy.url_for(redis_url),
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            retry=Retry(NoBackoff(), 0),
        )
        await client.ping()  # a pooled connection: the timed cases do not time a connect
        names: list[str] = []

        def open_limiter(name: str, rate: float, per: float, burst: int | None) -> RedisRateLimiter:
            names.append(f"serpens-test:rl:{name}")
            return RedisRateLimiter(client, names[-1], rate, per, burst=burst)

        yield open_limiter
        if names:
            await client.delete(*names)
        await client.aclose()


MUTANTS = '''
import asyncio
import time
import pytest
from serpens.rate_limit import RateLimiter
from serpens_contract.rate_limit import RateLimitContract


class Reserving(RateLimiter):
    """Books a slot before waiting: a cancelled or timed-out caller wastes it."""

    async def acquire(self, *, timeout=None):
        now = time.monotonic()
        tat = max(self._tat, now)
        self._tat = tat + self._interval
        await asyncio.sleep(max(0.0, tat - self._tolerance - now))


class Unfair(RateLimiter):
    """Wakes the newest waiter instead of the oldest."""

    def _leave(self, turn):
        self._waiters.remove(turn)
        if self._waiters and not self._waiters[-1].done():
            self._waiters[-1].set_result(None)


class TestReserving(RateLimitContract):
    @pytest.fixture
    def open_rate_limiter(self):
        return lambda name, rate, per, burst: Reserving(rate, per, burst=burst)


class TestUnfair(RateLimitContract):
    @pytest.fixture
    def open_rate_limiter(self):
        return lambda name, rate, per, burst: Unfair(rate, per, burst=burst)


class TestTooGenerous(RateLimitContract):
    @pytest.fixture
    def open_rate_limiter(self):
        return lambda name, rate, per, burst: RateLimiter(rate * 1.5, per, burst=burst)
'''


def test_the_suite_catches_each_mutant_limiter(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_mutants=MUTANTS)
    reprec = pytester.inline_run("-p", "no:cacheprovider", "-q")
    failed = {tuple(report.nodeid.split("::")[1:3]) for report in reprec.getfailures()}
    by_class = {cls for cls, _ in failed}
    assert by_class == {"TestReserving", "TestUnfair", "TestTooGenerous"}, failed
    assert ("TestReserving", "test_a_cancelled_waiter_does_not_consume_a_slot") in failed
    assert ("TestUnfair", "test_waiters_are_served_in_arrival_order") in failed
