"""``FailOpenRedis`` over a real Redis behind a FaultProxy: replies, retries, breaker, logs.

While Redis answers, the client is redis-py's: values, pipelines as transactions and
a pipeline's ``WRONGTYPE`` errors come through unchanged (a single refused command
answers its outage reply, as serpens 2.9's client did on every ``RedisError``). While
the proxy resets every connection, each command answers its outage reply (``0`` for the
counting commands, ``None`` for the rest, given in any case), after one attempt (no
retries), and the guard it shares logs which command failed and why; an open breaker
answers the same without connecting.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import redis
from redis import asyncio as aioredis

from serpens.testing import FaultProxy, RedisServer
from serpens_redis import FailOpenRedis, PoolSettings
from serpens_redis._failopen import FailOpen
from serpens_redis._pool import async_pool

pytestmark = pytest.mark.redis


class _Clock:
    """Monotonic seconds that move only when a test says so (a breaker stays open)."""

    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(name="proxy")
def _proxy(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


@pytest.fixture(name="pool")
async def _pool(proxy: FaultProxy, redis_url: str) -> AsyncIterator[aioredis.ConnectionPool]:
    """The pool ``redis_init`` gives its client: bounded, short timeouts, no retries."""
    pool = async_pool(proxy.url_for(redis_url), PoolSettings(socket_timeout=2.0))
    yield pool
    await pool.aclose()


@pytest.fixture(name="key")
def _key() -> str:
    return f"failopen-client-{uuid.uuid4().hex}"


@pytest.fixture(name="warnings")
def _warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.WARNING, logger="serpens.cache")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "serpens.cache"]


def _guard(*, threshold: int, cooldown: float = 0.5, warn_interval: float = 10.0) -> FailOpen:
    """A guard of the test's own, on a clock that stands still."""
    return FailOpen(
        "redis://proxy/0",
        threshold=threshold,
        cooldown=cooldown,
        warn_interval=warn_interval,
        clock=_Clock(),
    )


async def test_while_redis_answers_commands_and_pipelines_are_redis_pys(
    pool: aioredis.ConnectionPool, proxy: FaultProxy, key: str
) -> None:
    client = FailOpenRedis.over(pool)  # a guard of its own, named by its server
    assert client.serpens_guard.name == f"redis://127.0.0.1:{proxy.port}/0"
    assert await client.set(key, "v") is True
    assert await client.get(key) == b"v"
    pipe = client.pipeline()
    assert pipe.is_transaction is True  # redis-py's default: MULTI ... EXEC
    pipe.incr(f"{key}:n")
    pipe.get(key)
    pipe.exists(key)
    assert await pipe.execute() == [1, b"v", 1]
    assert await client.delete(f"{key}:n") == 1
    await client.zadd(f"{key}:z", {"a": 1.5})
    assert await client.zrange(f"{key}:z", 0, -1, withscores=True) == [(b"a", 1.5)]  # options
    assert await client.delete(f"{key}:z") == 1
    assert await client.lpush(key, "x") is None  # refused (WRONGTYPE): a no-op, as in 2.9
    assert await client.get(key) == b"v"
    failing = client.pipeline(transaction=False)  # a pipeline's command error still raises
    failing.lpush(key, "x")
    failing.get(key)
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        await failing.execute()
    assert await client.delete(key) == 1
    await client.aclose()


async def test_a_reset_connection_gives_each_command_its_outage_reply_after_one_attempt(
    pool: aioredis.ConnectionPool,
    proxy: FaultProxy,
    key: str,
    warnings: Callable[[], list[str]],
) -> None:
    guard = _guard(threshold=100, warn_interval=0)
    client = FailOpenRedis.over(pool, guard)
    assert client.serpens_guard is guard
    proxy.reset()
    before = proxy.stats().accepted
    assert await client.get(key) is None
    assert proxy.stats().accepted == before + 1  # not retried: one connection
    assert await client.set(key, "v") is None
    assert await client.delete(key) == 0
    assert await client.unlink(key) == 0
    assert await client.exists(key) == 0
    assert await client.touch(key) == 0
    assert await client.execute_command("del", key) == 0  # the command's name in any case
    pipe = client.pipeline()
    pipe.get(key)
    pipe.delete(key)
    pipe.incr(key)
    pipe.exists(key)
    assert await pipe.execute() == [None, 0, None, 0]
    assert len(pipe.command_stack) == 0  # reset: ready for the next commands
    operations = [message.split(" failed on ")[1].split(" (")[0] for message in warnings()]
    assert operations == ["GET", "SET", "DEL", "UNLINK", "EXISTS", "TOUCH", "del", "pipeline"]
    assert all("(ConnectionError: " in message for message in warnings())
    assert key not in "".join(warnings())
    await client.aclose()


async def test_an_open_breaker_answers_the_outage_replies_without_connecting(
    pool: aioredis.ConnectionPool, proxy: FaultProxy, key: str
) -> None:
    guard = _guard(threshold=1, cooldown=60)
    client = FailOpenRedis.over(pool, guard)
    with proxy.reset():
        assert await client.get(key) is None
    assert guard.is_open
    before = proxy.stats().accepted
    assert await client.delete(key) == 0
    assert await client.set(key, "v") is None
    pipe = client.pipeline()
    pipe.exists(key)
    pipe.get(key)
    assert await pipe.execute() == [0, None]
    assert len(pipe.command_stack) == 0
    assert proxy.stats().accepted == before  # Redis was not asked
    await client.aclose()
