"""The lean command path of the Redis caches: one borrowed connection per command.

It skips redis-py's ``execute_command`` layers, so these tests pin what those layers
would otherwise guarantee: a cancelled or failed command never leaves a reply behind
for the next caller, a server error keeps the connection, and the pool gets every
connection back.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from redis import asyncio as aioredis

from serpens.testing import RedisServer
from serpens_redis import AsyncRedisCache, PoolSettings, RedisCache, async_pool, sync_pool
from serpens_redis._pool import async_executor, plain_async_client, sync_executor

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(own_redis: RedisServer) -> AsyncIterator[aioredis.Redis]:
    own_redis.start()
    client = plain_async_client(
        async_pool(own_redis.url, PoolSettings(socket_timeout=5, connect_timeout=5))
    )
    yield client
    await client.aclose(close_connection_pool=True)


@pytest.fixture
def sync_client(own_redis: RedisServer) -> Iterator[redis.Redis]:
    own_redis.start()
    client = redis.Redis(
        connection_pool=sync_pool(own_redis.url, PoolSettings(socket_timeout=5, connect_timeout=5))
    )
    yield client
    client.close()
    client.connection_pool.disconnect()


def _key() -> str:
    return f"exec:{uuid.uuid4().hex}"


async def test_a_cancelled_read_leaves_no_reply_for_the_next_command(
    client: aioredis.Redis,
) -> None:
    execute = async_executor(client)
    key = _key()
    await execute("SET", key, "value")
    blocked = asyncio.ensure_future(execute("BLPOP", _key(), 2))
    await asyncio.sleep(0.05)
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    assert await execute("GET", key) == b"value"  # not the late BLPOP reply
    pool = client.connection_pool
    assert isinstance(pool, aioredis.BlockingConnectionPool)
    assert not pool._in_use_connections  # every connection went back to the pool


async def test_a_server_error_keeps_the_connection(client: aioredis.Redis) -> None:
    execute = async_executor(client)
    key = _key()
    await execute("RPUSH", key, "x")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await execute("INCR", key)
    pool = client.connection_pool
    connections = set(pool._available_connections)  # type: ignore[attr-defined]
    assert await execute("LLEN", key) == 1
    assert set(pool._available_connections) == connections  # type: ignore[attr-defined]


async def test_concurrent_commands_get_their_own_replies(client: aioredis.Redis) -> None:
    execute = async_executor(client)
    keys = [_key() for _ in range(50)]
    await asyncio.gather(*(execute("SET", k, k) for k in keys))
    assert await asyncio.gather(*(execute("GET", k) for k in keys)) == [k.encode() for k in keys]


async def test_other_clients_use_their_own_execute_command(own_redis: RedisServer) -> None:
    seen: list[tuple[Any, ...]] = []

    class Traced(aioredis.Redis):
        async def execute_command(self, *args: Any, **options: Any) -> Any:
            seen.append(args)
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    single = aioredis.Redis.from_url(own_redis.url, single_connection_client=True)
    traced = Traced.from_url(own_redis.url)
    try:
        assert await async_executor(traced)("PING") is True  # with reply callbacks
        assert seen == [("PING",)]
        assert await async_executor(single)("CLIENT", "ID") == await single.client_id()
        cache = AsyncRedisCache(single, prefix=_key(), fail_open=False)
        await cache.set("k", [1, "a"])
        assert await cache.get("k") == [1, "a"]
    finally:
        await single.aclose()
        await traced.aclose(close_connection_pool=True)


def test_sync_twin_recovers_from_an_interrupted_read(sync_client: redis.Redis) -> None:
    # socket_timeout 0.5 s: a 2 s BLPOP times out mid-command and its late reply stays
    # on that socket, so the connection must be dropped rather than handed out again
    client = redis.Redis(connection_pool=sync_pool(sync_client_url(sync_client), PoolSettings()))
    execute = sync_executor(client)
    key = _key()
    execute("SET", key, "value")
    with pytest.raises(redis.exceptions.TimeoutError):
        execute("BLPOP", _key(), 2)
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        execute("RPUSH", key, "x")
    assert execute("GET", key) == b"value"
    pool = client.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert pool.pool.qsize() == pool.max_connections  # every connection went back
    client.close()
    pool.disconnect()


def test_sync_twin_is_thread_safe(sync_client: redis.Redis) -> None:
    execute = sync_executor(sync_client)
    keys = [_key() for _ in range(40)]
    errors: list[BaseException] = []

    def work(key: str) -> None:
        try:
            execute("SET", key, key)
            assert execute("GET", key) == key.encode()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    other = redis.Redis.from_url(sync_client_url(sync_client), single_connection_client=True)
    try:
        assert sync_executor(other) == other.execute_command
        cache = RedisCache(other, prefix=_key(), fail_open=False)
        cache.set("k", {"a": 1})
        assert cache.get("k") == {"a": 1}
    finally:
        other.close()


def sync_client_url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"
