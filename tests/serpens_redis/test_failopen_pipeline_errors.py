"""``FailOpenRedis`` pipelines keep redis-py's ``execute(raise_on_error=False)``.

Fail-open replaces the replies only when Redis is unreachable; while it answers, a
pipeline is redis-py's, including the choice its caller makes with ``raise_on_error``:
``False`` returns a failed command's error in that command's place, next to the
others' replies, in a transaction and outside one. These tests pin that the caller's
choice reaches redis-py on a real Redis (the default, raising, is pinned by
``test_failopen_client.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis

from serpens_redis import FailOpenRedis, PoolSettings, async_pool

pytestmark = pytest.mark.redis


@pytest.fixture(name="client")
async def _client(redis_url: str) -> AsyncIterator[FailOpenRedis]:
    pool = async_pool(redis_url, PoolSettings())
    client = FailOpenRedis.over(pool)
    yield client
    await client.aclose()
    await pool.aclose()


@pytest.fixture(name="key")
async def _key(client: FailOpenRedis) -> AsyncIterator[str]:
    """A fresh key holding the string ``"v"``, deleted after the test."""
    key = f"serpens-test:{uuid.uuid4().hex}"
    await client.set(key, "v")
    yield key
    await client.delete(key)


@pytest.mark.parametrize("transaction", [True, False], ids=["multi", "plain"])
async def test_a_pipeline_not_raising_returns_each_error_in_its_command_s_place(
    client: FailOpenRedis, key: str, transaction: bool
) -> None:
    pipe = client.pipeline(transaction=transaction)
    pipe.lpush(key, "x")  # WRONGTYPE: the key holds a string
    pipe.get(key)
    error, value = await pipe.execute(raise_on_error=False)
    assert isinstance(error, redis.exceptions.ResponseError)
    assert "WRONGTYPE" in str(error)
    assert value == b"v"
