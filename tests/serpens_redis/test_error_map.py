"""What a Redis failure reads like once mapped to a serpens error: type, message, cause.

``serpens_redis/_errors.py`` maps redis-py's and the socket's errors to serpens errors;
the types are pinned by the contract suites. These tests pin the message a user sees in
a log: the summary of the mapped type, then redis-py's own reason (masked), with the
context (the rate limiter's key) in front only when there is one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis
from redis import asyncio as aioredis

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError
from serpens.testing._common import free_port
from serpens_redis import RedisCache, RedisRateLimiter
from serpens_redis._errors import translate

pytestmark = pytest.mark.redis


@pytest.fixture(name="async_client")
async def _async_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    own = aioredis.Redis.from_url(redis_url)
    yield own
    await own.aclose()


def test_a_refused_strict_read_says_redis_is_unavailable_and_why() -> None:
    cache = RedisCache.from_url(
        f"redis://127.0.0.1:{free_port()}/0", prefix="refused", fail_open=False
    )
    try:
        with pytest.raises(BackendUnavailableError) as caught:
            cache.get("k")
    finally:
        cache.close()
    cause = caught.value.__cause__
    assert isinstance(cause, redis.ConnectionError)
    # the summary first, no context prefix (the cache passes none), then redis-py's reason
    assert str(caught.value) == f"Redis is unavailable: {cause}"
    assert str(cause)  # a reason to show, not an empty message


def test_a_timeout_is_named_a_timeout_with_its_context_in_front() -> None:
    error = translate(redis.TimeoutError("Timeout reading from socket"), context="key 'k'")
    assert isinstance(error, BackendTimeoutError)
    assert str(error) == "key 'k': Redis timed out: Timeout reading from socket"


def test_a_password_in_redis_py_s_message_never_reaches_the_mapped_error() -> None:
    error = translate(redis.ConnectionError("Error connecting to redis://app:s3cret@db:6379/0"))
    assert isinstance(error, BackendUnavailableError)
    assert "s3cret" not in str(error)
    assert str(error) == "Redis is unavailable: Error connecting to redis://app:***@db:6379/0"


async def test_a_rate_limiter_on_a_key_of_another_type_is_a_backend_error_naming_why(
    async_client: aioredis.Redis, prefix: str
) -> None:
    """Not an outage (Redis answered): a plain ``BackendError`` with Redis's own reply."""
    key = f"{prefix}:quota-{uuid.uuid4().hex[:6]}"
    await async_client.rpush(key, "not a quota")
    limiter = RedisRateLimiter(async_client, key, 10)
    try:
        with pytest.raises(BackendError) as caught:
            await limiter.acquire()
    finally:
        await limiter.stop()
    assert type(caught.value) is BackendError
    assert isinstance(caught.value.__cause__, redis.ResponseError)
    assert str(caught.value) == f"rate limiter key {key!r}: Redis failed: {caught.value.__cause__}"
    assert "WRONGTYPE" in str(caught.value)
