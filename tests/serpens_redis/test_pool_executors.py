"""Which clients the fast executors serve themselves, and what the sync deadline reports.

A plain pooled client's commands skip ``execute_command``; every other client keeps it
(a single-connection client its own connection, a subclass such as ``FailOpenRedis``
its behaviour). The bounded async pool's uncontended path never enters the blocking
pool's condition. The sync deadline applies only when the pool has a socket timeout,
and turns into a timeout only a cut it made itself, never a connection the server closed.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
import redis
from redis import asyncio as aioredis

from serpens.testing import FaultProxy
from serpens.testing._common import free_port
from serpens_redis import FailOpenRedis, PoolSettings, async_pool
from serpens_redis._pool import (
    async_executor,
    plain_async_client,
    plain_sync_client,
    sync_executor,
    sync_pool,
)

pytestmark = pytest.mark.redis


def test_a_sync_single_connection_client_runs_commands_on_its_own_connection(
    redis_url: str,
) -> None:
    pool = sync_pool(redis_url, PoolSettings())
    client = redis.Redis(connection_pool=pool, single_connection_client=True)
    try:
        own = client.client_id()
        assert sync_executor(client)("CLIENT", "ID") == own
    finally:
        client.close()
        pool.disconnect()


async def test_an_async_single_connection_client_runs_commands_on_its_own_connection(
    redis_url: str,
) -> None:
    pool = async_pool(redis_url, PoolSettings())
    client = plain_async_client(pool)
    single = type(client)(connection_pool=pool, single_connection_client=True)
    try:
        own = await single.client_id()
        assert await async_executor(single)("CLIENT", "ID") == own
    finally:
        await single.aclose()
        await pool.disconnect()


async def test_a_fail_open_client_keeps_failing_open_under_the_executor() -> None:
    pool = async_pool(f"redis://127.0.0.1:{free_port()}/0", PoolSettings())
    client = FailOpenRedis.over(pool)
    try:
        assert await async_executor(client)("GET", "k") is None  # a miss, not an error
    finally:
        await pool.disconnect()


async def test_an_uncontended_call_does_not_enter_the_pools_condition(redis_url: str) -> None:
    """The plain pool's path: no wait on the blocking pool's condition while none is due."""
    client = plain_async_client(async_pool(redis_url, PoolSettings(max_connections=2)))
    pool = client.connection_pool
    assert isinstance(pool, aioredis.BlockingConnectionPool)
    if not hasattr(pool, "_in_maintenance"):  # redis-py 5.x, as the lowest-versions run has
        await client.aclose(close_connection_pool=True)
        pytest.skip("this redis-py's pool keeps no maintenance state: the fast path is off")
    try:
        async with pool._condition:  # held: the blocking pool's own path would wait for it
            reply = await asyncio.wait_for(async_executor(client)("PING"), 2.0)
        assert reply == b"PONG"
    finally:
        await client.aclose(close_connection_pool=True)


def test_a_pool_without_a_socket_timeout_has_no_deadline(redis_url: str) -> None:
    settings = PoolSettings(options={"socket_timeout": None})
    client = plain_sync_client(sync_pool(redis_url, settings))
    try:
        assert sync_executor(client)("ECHO", "whole") == b"whole"
    finally:
        client.close()


def test_a_command_cut_by_the_deadline_says_so(proxy: FaultProxy, redis_url: str) -> None:
    settings = PoolSettings(socket_timeout=0.5, connect_timeout=1.0)
    client = plain_sync_client(sync_pool(proxy.url_for(redis_url), settings))
    execute = sync_executor(client)
    try:
        execute("PING")  # connected before the trickle
        with (
            proxy.trickle(1, 0.05, direction="downstream"),
            pytest.raises(redis.TimeoutError, match=r"^no whole reply within 0\.5 s$"),
        ):
            execute("ECHO", "x" * 200)  # 10 s at one byte every 50 ms
    finally:
        client.close()


def test_a_connection_the_server_closes_mid_command_is_a_connection_error_not_a_timeout(
    client: redis.Redis, redis_url: str
) -> None:
    """The deadline did not cut it (it had seconds left): redis-py's own error stands."""
    settings = PoolSettings(max_connections=1, socket_timeout=10, connect_timeout=1.0)
    own = plain_sync_client(sync_pool(redis_url, settings))
    execute = sync_executor(own)
    victim = execute("CLIENT", "ID")  # the pool's one connection
    key = f"redis-test-{uuid.uuid4().hex}"

    def kill_when_blocked() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if any(c["id"] == str(victim) and c["cmd"] == "blpop" for c in client.client_list()):
                client.client_kill_filter(_id=str(victim))
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_blocked)
    killer.start()
    try:
        with pytest.raises(redis.ConnectionError):
            execute("BLPOP", key, 5)
    finally:
        killer.join()
        own.close()
