"""Commands a task runs while it handles its own cancel answer as usual.

A cancelled task often cleans up before it ends (``except CancelledError: await
cache.delete(key); raise``); while it does, it counts the cancel it was asked
(``Task.cancelling()`` is 1). serpens raises ``CancelledError`` for a cancel redis-py
drops during a command (``serpens_redis/_cancels.py``): only for one asked while that
command ran, never for the cancel the task is already handling, or no cleanup could
reach Redis. These tests pin that on every path serpens runs commands on: the pooled
fast executor, ``FailOpenRedis``'s commands and its pipelines.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis import asyncio as aioredis

from serpens_redis import FailOpenRedis, PoolSettings, async_pool
from serpens_redis._pool import async_executor, plain_async_client

pytestmark = pytest.mark.redis


@pytest.fixture(name="pool")
async def _pool(redis_url: str) -> AsyncIterator[aioredis.BlockingConnectionPool]:
    pool = async_pool(redis_url, PoolSettings())
    yield pool
    await pool.aclose()


@pytest.fixture(name="key")
async def _key(redis_url: str) -> AsyncIterator[str]:
    """A fresh key holding ``"v"``, deleted after the test."""
    key = f"serpens-test:{uuid.uuid4().hex}"
    own = aioredis.Redis.from_url(redis_url)
    await own.set(key, "v")
    yield key
    await own.delete(key)
    await own.aclose()


async def _reply_in_cleanup(command: Callable[[], Awaitable[Any]]) -> Any:
    """Cancel a task, let it run *command* while it handles the cancel, and return the reply.

    The task re-raises its cancel after the cleanup, as it should: it ends cancelled.
    """
    started = asyncio.Event()
    cleanup: dict[str, Any] = {}

    async def worker() -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            this = asyncio.current_task()
            assert this is not None
            assert this.cancelling() == 1  # the cancel being handled
            cleanup["reply"] = await command()
            raise

    task = asyncio.ensure_future(worker())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert "reply" in cleanup, f"the cleanup's command did not answer: {task!r}"
    return cleanup["reply"]


async def test_the_fast_executor_answers_a_command_run_in_cancel_cleanup(
    pool: aioredis.BlockingConnectionPool, key: str
) -> None:
    execute = async_executor(plain_async_client(pool))
    assert await _reply_in_cleanup(lambda: execute("GET", key)) == b"v"


async def test_fail_open_commands_and_pipelines_answer_in_cancel_cleanup(
    pool: aioredis.BlockingConnectionPool, key: str
) -> None:
    client = FailOpenRedis.over(pool)

    async def pipeline() -> list[Any]:
        async with client.pipeline() as pipe:
            pipe.get(key)
            pipe.exists(key)
            replies: list[Any] = await pipe.execute()
            return replies

    assert await _reply_in_cleanup(lambda: client.get(key)) == b"v"
    assert await _reply_in_cleanup(pipeline) == [b"v", 1]
    await client.aclose()
