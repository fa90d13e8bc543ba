"""RedisRateLimiter's default period and the bookkeeping of refunds for cancelled callers.

Found by mutating ``serpens_redis/_rate_limit.py``: the contract cells always pass a
period, never see a finished refund task left behind (it only reports an error to the
event loop, or leaks), and never see a refund fail, which ``stop()`` must absorb: the
caller it was for is gone, and an outage during a refund is no error of the stopping code.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from serpens.testing import FaultProxy, RedisServer
from serpens_redis import RedisRateLimiter

pytestmark = pytest.mark.redis

DEADLINE = 10.0  # generous bound on what should happen at once


@pytest.fixture(name="redis_url", scope="module")
def _own_redis_url(pausable: RedisServer) -> str:
    """A server of this module's own: a test pauses it (``CLIENT PAUSE``) for 2 s."""
    return pausable.url


@pytest.fixture(name="client")
async def _client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(name="key")
async def _key(client: aioredis.Redis) -> AsyncIterator[str]:
    key = f"serpens-test:rl:{uuid.uuid4().hex}"
    yield key
    await client.delete(key)


async def _cancel_while_in_flight(limiter: RedisRateLimiter) -> None:
    """Cancel a caller whose attempt has been sent but not yet answered."""
    task = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)  # the script call is scheduled, not answered
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_period_is_one_second_by_default(client: aioredis.Redis, key: str) -> None:
    limiter = RedisRateLimiter(client, key, 2, burst=1)  # a slot every 0.5 s
    await limiter.acquire()
    assert 400 < await client.pttl(key) <= 501  # the key lives until the bucket is full
    assert repr(limiter).endswith("rate=2, per_seconds=1, burst=1)")


async def test_a_finished_refund_is_dropped_and_reports_nothing(
    client: aioredis.Redis, key: str
) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        limiter = RedisRateLimiter(client, key, 1, 10, burst=1)
        await _cancel_while_in_flight(limiter)
        await limiter.stop()  # waits for the refund
        await asyncio.sleep(0)  # any callback of the finished refund has run
    finally:
        loop.set_exception_handler(None)
    assert reported == []
    assert not limiter._refunds  # no finished refund task is kept


async def test_stop_absorbs_a_refund_that_an_outage_makes_fail(
    redis_url: str, proxy: FaultProxy, client: aioredis.Redis, key: str
) -> None:
    """The slot is taken, then Redis stops answering before the refund: ``stop()`` is quiet."""
    through_proxy = aioredis.Redis.from_url(
        proxy.url_for(redis_url),
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
    )
    limiter = RedisRateLimiter(through_proxy, key, 1, 10, burst=1)
    try:
        with proxy.latency(300, direction="downstream"):  # the answer lags the slot taken
            await _cancel_while_in_flight(limiter)
            deadline = time.monotonic() + DEADLINE
            while (taken := await client.get(key)) is None:
                assert time.monotonic() < deadline, "the cancelled attempt never ran"
                await asyncio.sleep(0.01)
            # the refund goes out once the delayed answer is in, and times out (1 s)
            await client.client_pause(2000, all=True)
            await limiter.stop()
        # (this client is paused too: its next command waits for the pause to end)
        assert await client.get(key) == taken  # the refund failed: the slot stays taken
    finally:
        await through_proxy.aclose()
