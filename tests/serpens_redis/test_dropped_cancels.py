"""A cancelled Redis command ends in ``CancelledError`` wherever the cancel lands.

redis-py writes each command under ``asyncio.wait_for``, which on Python 3.11 drops a
cancel arriving as the write completes; serpens raises it again (``_cancels``). Each
command here is cancelled after 0, 1, 2, ... turns of the event loop, through every path
serpens runs commands on: the pooled fast executor, ``execute_command`` of a
single-connection client, and ``FailOpenRedis``'s commands and pipelines. Afterwards the
same pool still answers each command with its own reply: a connection whose reply was
never read is closed, not handed to the next command.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis import asyncio as aioredis

from serpens.testing import FaultProxy, RedisServer
from serpens_contract._cancels import cancels_not_honoured
from serpens_redis import FailOpenRedis, PoolSettings, async_pool
from serpens_redis._cancels import keeping_cancels
from serpens_redis._pool import async_executor, plain_async_client

pytestmark = pytest.mark.redis

Call = Callable[[], Awaitable[Any]]


@pytest.fixture(name="pool")
async def _pool(redis_url: str) -> AsyncIterator[aioredis.BlockingConnectionPool]:
    pool = async_pool(redis_url, PoolSettings())
    yield pool
    await pool.disconnect()


async def _answers_each_command_its_own_reply(client: aioredis.Redis) -> None:
    keys = [f"serpens-test:{uuid.uuid4().hex}" for _ in range(3)]
    try:
        for key in keys:
            await client.set(key, key)
        for _ in range(3):
            assert [await client.get(key) for key in keys] == [key.encode() for key in keys]
    finally:
        await client.delete(*keys)


async def test_the_fast_executor_ends_every_cancelled_command(
    pool: aioredis.BlockingConnectionPool,
) -> None:
    client = plain_async_client(pool)
    execute = async_executor(client)
    key = f"serpens-test:{uuid.uuid4().hex}"

    assert await cancels_not_honoured(lambda: execute("GET", key)) == []
    assert await cancels_not_honoured(lambda: execute("SET", key, "v", "PX", 5000)) == []
    await _answers_each_command_its_own_reply(client)


async def test_a_reply_nobody_reads_never_reaches_the_next_command(
    redis_server: RedisServer, redis_url: str
) -> None:
    """The connection of a command dropped after its write is closed, not reused.

    Replies come back 30 ms late, so the cancelled command's reply is still on its way
    when the next command takes a connection: on the same connection, that command would
    read the cancelled one's reply as its own. After each cancel, one command runs to
    its end and must get its own reply.
    """
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        pool = async_pool(proxy.url_for(redis_url), PoolSettings(socket_timeout=2.0))
        execute = async_executor(plain_async_client(pool))
        replies = []
        try:
            await execute("PING")  # connected before the replies slow down
            with proxy.latency(30, direction="downstream"):
                for turns in range(12):
                    task = asyncio.ensure_future(execute("GET", "serpens-test:missing"))
                    for _ in range(turns):
                        await asyncio.sleep(0)
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    replies.append(await execute("ECHO", f"after {turns}"))
        finally:
            await pool.aclose()
        assert replies == [f"after {turns}".encode() for turns in range(12)]


async def test_a_single_connection_client_ends_every_cancelled_command(
    pool: aioredis.BlockingConnectionPool,
) -> None:
    single = aioredis.Redis(connection_pool=pool, single_connection_client=True)
    execute = async_executor(single)
    try:
        assert await cancels_not_honoured(lambda: execute("PING")) == []
        await _answers_each_command_its_own_reply(single)
    finally:
        await single.aclose()


async def test_fail_open_commands_and_pipelines_end_when_cancelled(
    pool: aioredis.BlockingConnectionPool,
) -> None:
    client = FailOpenRedis.over(pool)
    key = f"serpens-test:{uuid.uuid4().hex}"

    async def pipeline() -> list[Any]:
        async with client.pipeline() as pipe:
            pipe.set(key, "v", px=5000)
            pipe.get(key)
            replies: list[Any] = await pipe.execute()
            return replies

    assert await cancels_not_honoured(lambda: client.get(key)) == []
    assert await cancels_not_honoured(pipeline) == []
    await _answers_each_command_its_own_reply(client)


async def test_keeping_cancels_returns_what_an_uncancelled_call_returns() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert await keeping_cancels(answer) == 42


async def test_keeping_cancels_raises_a_cancel_the_call_swallowed() -> None:
    """A call that catches its cancel and returns (as ``wait_for`` did) still ends cancelled."""
    started = asyncio.Event()

    async def swallowing() -> str:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "went on"
        return "slept"

    task = asyncio.ensure_future(keeping_cancels(swallowing))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_cancel_taken_back_by_a_timeout_is_not_raised_again() -> None:
    """``asyncio.timeout`` turns its own cancel into ``TimeoutError`` and takes it back."""

    async def bounded() -> str:
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        except TimeoutError:
            return "timed out"
        return "slept"

    assert await keeping_cancels(bounded) == "timed out"
