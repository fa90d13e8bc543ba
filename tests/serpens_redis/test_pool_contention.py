"""The bounded async pool's fast path under contention, and cancels the write drops.

The plain pool's path is taken only while a connection can be had at once; a caller
that has to queue for the pool's lock (a release closing a connection holds it across
an ``await``) waits as the blocking pool makes it wait, and never fails for want of a
connection another caller took first. A cancel that redis-py's write drops ends the
command before its reply arrives, not once the reply is read.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from serpens_redis import PoolSettings, async_pool
from serpens_redis._pool import async_executor, plain_async_client

pytestmark = pytest.mark.redis

BLOCK = 3.0  # long beside a loaded machine's scheduling: a cancel that waited for it is late
"""Seconds a ``BLPOP`` of an empty list holds its reply back: the reply comes this late."""


@pytest.fixture(name="one")
async def _one(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client over a bounded pool of one connection, with time to wait for it."""
    settings = PoolSettings(max_connections=1, pool_timeout=2.0, socket_timeout=5.0)
    client = plain_async_client(async_pool(redis_url, settings))
    yield client
    await client.aclose(close_connection_pool=True)


async def test_callers_queued_behind_a_release_that_closes_a_connection_all_wait(
    one: aioredis.Redis,
) -> None:
    """A release holds the pool's lock while it closes a connection marked for reconnect.

    redis-py marks the connections in use for reconnect on a maintenance notification
    (``update_active_connections_for_reconnect``); releasing one closes it under the
    pool's lock. Callers arriving meanwhile find the pool not exhausted, and each must
    get the connection in turn: with one connection, the second and third wait for it
    as the blocking pool's callers do, and none fails with ``MaxConnectionsError``.
    """
    pool = one.connection_pool
    marks = getattr(pool, "update_active_connections_for_reconnect", None)
    if marks is None:  # redis-py 5.x, as the lowest-versions run has
        pytest.skip("this redis-py marks no connection for reconnect")
    execute = async_executor(one)
    conn = await pool.get_connection()  # type: ignore[no-untyped-call]
    await marks()
    releasing = asyncio.ensure_future(pool.release(conn))
    await asyncio.sleep(0)  # the release holds the lock, closing the connection
    assert pool._lock.locked()
    calls = [asyncio.ensure_future(execute("ECHO", f"caller {n}")) for n in range(3)]
    await releasing
    replies = await asyncio.gather(*calls, return_exceptions=True)
    assert replies == [f"caller {n}".encode() for n in range(3)]
    assert not pool._in_use_connections
    assert len(pool._available_connections) == 1


async def test_callers_arriving_while_the_pools_lock_is_held_or_just_handed_on_all_wait(
    one: aioredis.Redis,
) -> None:
    """Any holder of the lock across an ``await`` (a re-authentication too) is the same.

    The last caller arrives as the lock is let go, before the caller queued for it has
    taken it: the lock is free, not yet to be had at once, and that caller waits too.
    """
    pool = one.connection_pool
    if not hasattr(pool, "_in_maintenance"):  # redis-py 5.x: no fast path to take at all
        pytest.skip("this redis-py's pool keeps no maintenance state: the fast path is off")
    execute = async_executor(one)
    assert await execute("PING") == b"PONG"  # the pool's one connection, now free
    async with pool._lock:
        calls = [asyncio.ensure_future(execute("ECHO", f"caller {n}")) for n in range(3)]
        for _ in range(5):
            await asyncio.sleep(0)  # each caller reaches the pool and queues
        # runs its checks after the lock is let go and before the first caller wakes
        calls.append(asyncio.ensure_future(execute("ECHO", "caller 3")))
    replies = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5.0)
    assert replies == [f"caller {n}".encode() for n in range(4)]


async def test_a_cancel_the_write_drops_ends_the_command_before_its_reply(
    redis_url: str,
) -> None:
    """A command cancelled at any point ends at once, never when its reply comes.

    ``BLPOP`` of an empty list answers after ``BLOCK`` seconds. Cancelled after 0, 1,
    2, ... turns of the loop, the command meets the cancel in the pool, in the write
    (where Python 3.11's ``wait_for`` drops it as the write completes) or in the read;
    wherever it lands, the command ends in ``CancelledError`` well before the reply,
    and the connection whose reply nobody reads is closed.
    """
    pool = async_pool(redis_url, PoolSettings(socket_timeout=5.0))
    execute = async_executor(plain_async_client(pool))
    key = f"serpens-test:{uuid.uuid4().hex}"
    late: list[str] = []
    try:
        assert await execute("PING") == b"PONG"  # connected: the first turns are not a connect
        for turns in range(20):
            task = asyncio.ensure_future(execute("BLPOP", key, BLOCK))
            for _ in range(turns):
                await asyncio.sleep(0)
            if not task.cancel():
                continue
            asked = time.monotonic()
            await asyncio.wait({task}, timeout=5)
            took = time.monotonic() - asked
            if not task.cancelled() or took >= BLOCK / 2:
                late.append(f"after {turns} turns: {took:.2f} s, cancelled={task.cancelled()}")
        assert await execute("ECHO", "after") == b"after"  # no late reply read as this one
    finally:
        await pool.aclose()
    assert late == []
