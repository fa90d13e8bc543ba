"""RedisRateLimiter beyond the contract: refunds for cancelled in-flight attempts, errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from serpens.errors import BackendUnavailableError, ValidationError
from serpens_redis import RedisRateLimiter


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


async def test_a_caller_cancelled_while_redis_answers_gets_its_slot_refunded(
    client: aioredis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(client, key, 1, 10, burst=1)  # one call per 10 s
    task = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)  # the script call is scheduled, not answered
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await limiter.stop()  # waits for the refund
    start = time.monotonic()
    await limiter.acquire(timeout=1)
    assert time.monotonic() - start < 0.1


async def test_the_key_expires_once_the_bucket_is_full_again(
    client: aioredis.Redis, key: str
) -> None:
    """The key lives until the bucket is full again (1 s here) and 1 ms more, no longer.

    A second is long enough that a busy machine reads the TTL before it ends.
    """
    limiter = RedisRateLimiter(client, key, 1, 1.0, burst=1)
    await limiter.acquire()
    ttl = await client.pttl(key)
    assert 0 < ttl <= 1001


async def test_an_unreachable_redis_is_backend_unavailable() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limiter = RedisRateLimiter(client, "k", 10)
    try:
        with pytest.raises(BackendUnavailableError):
            await limiter.acquire()
    finally:
        await client.aclose()


async def test_an_outage_error_names_the_key_and_chains_the_redis_error() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limiter = RedisRateLimiter(client, "quota-k", 10)
    try:
        with pytest.raises(BackendUnavailableError, match="rate limiter key 'quota-k'") as caught:
            await limiter.acquire()
    finally:
        await client.aclose()
    assert isinstance(caught.value.__cause__, RedisConnectionError)


def test_bad_numbers_are_validation_errors(client: aioredis.Redis) -> None:
    with pytest.raises(ValidationError, match="rate"):
        RedisRateLimiter(client, "k", 0)


def test_repr_names_key_and_limits(client: aioredis.Redis) -> None:
    assert repr(RedisRateLimiter(client, "quota", 5, 2)) == (
        "RedisRateLimiter(key='quota', rate=5, per_seconds=2, burst=5)"
    )
