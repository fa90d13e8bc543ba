"""The bounded async pool: uncontended calls take the plain pool's path, the bound holds.

``async_pool`` skips the blocking pool's condition and timeout while a connection is
free and nobody waits; these tests pin that the bound, the waiting and the timeout
still behave as a ``BlockingConnectionPool``'s when callers outnumber connections.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis import asyncio as aioredis

from serpens_redis import PoolSettings, async_pool
from serpens_redis._pool import async_executor, plain_async_client, sync_pool

pytestmark = pytest.mark.redis


@pytest.fixture
async def small(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    settings = PoolSettings(max_connections=2, pool_timeout=2.0, socket_timeout=5)
    client = plain_async_client(async_pool(redis_url, settings))
    yield client
    await client.aclose(close_connection_pool=True)


async def test_many_callers_share_two_connections_and_all_get_their_replies(
    small: aioredis.Redis,
) -> None:
    execute = async_executor(small)
    pool = small.connection_pool
    peak = 0

    async def call(key: str) -> object:
        nonlocal peak
        await execute("SET", key, key)
        peak = max(peak, len(pool._in_use_connections))
        return await execute("GET", key)

    keys = [f"pool:{uuid.uuid4().hex}" for _ in range(40)]
    assert await asyncio.gather(*(call(k) for k in keys)) == [k.encode() for k in keys]
    assert peak <= 2
    assert not pool._in_use_connections
    assert len(pool._available_connections) <= 2


async def test_a_waiter_is_woken_when_a_connection_comes_back(small: aioredis.Redis) -> None:
    pool = small.connection_pool
    held = [await pool.get_connection(), await pool.get_connection()]
    waiter = asyncio.ensure_future(async_executor(small)("PING"))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # the pool is exhausted: the caller waits, it does not fail
    await pool.release(held.pop())
    assert await asyncio.wait_for(waiter, 1.0) == b"PONG"
    await pool.release(held.pop())


async def test_an_exhausted_pool_times_out_as_a_connection_error(redis_url: str) -> None:
    settings = PoolSettings(max_connections=1, pool_timeout=0.1, socket_timeout=5)
    client = plain_async_client(async_pool(redis_url, settings))
    pool = client.connection_pool
    conn = await pool.get_connection()
    try:
        with pytest.raises(aioredis.ConnectionError, match="No connection available"):
            await async_executor(client)("PING")
    finally:
        await pool.release(conn)
    assert await async_executor(client)("PING") == b"PONG"
    await client.aclose(close_connection_pool=True)


@pytest.mark.parametrize("build", [async_pool, sync_pool])
def test_the_url_sets_the_socket_timeouts_over_the_defaults(
    build: Callable[[str, PoolSettings], Any],
) -> None:
    """``?socket_timeout=`` in ``REDIS_URL`` (or a URL given) wins over the 0.5 s defaults."""
    given = build("redis://127.0.0.1:9/0?socket_timeout=2&socket_connect_timeout=1", PoolSettings())
    assert given.connection_kwargs["socket_timeout"] == 2.0
    assert given.connection_kwargs["socket_connect_timeout"] == 1.0
    default = build("redis://127.0.0.1:9/0", PoolSettings())
    assert default.connection_kwargs["socket_timeout"] == 0.5
    assert default.connection_kwargs["socket_connect_timeout"] == 0.5
