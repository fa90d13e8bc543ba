"""A sync Redis command ends by its socket timeout as a whole, even when Redis trickles.

redis-py's sync client bounds each socket read, so a reply arriving a byte every 50 ms
never trips a 0.5 s ``socket_timeout``; the asyncio client bounds the whole read. The
sync executor (what ``RedisCache`` sends its commands through) now does the same.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from serpens._watchdog import watchdog
from serpens.errors import BackendTimeoutError
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import PoolSettings, RedisCache
from serpens_redis._pool import plain_sync_client, sync_executor, sync_pool

pytestmark = pytest.mark.redis

TIMEOUT = 0.5
BIG = "x" * 2000  # 2 KB: 100 s at one byte every 50 ms


@pytest.fixture(name="cache")
def _cache(proxy: FaultProxy, redis_url: str) -> Iterator[RedisCache]:
    settings = PoolSettings(socket_timeout=TIMEOUT, connect_timeout=TIMEOUT)
    cache = RedisCache.from_url(
        proxy.url_for(redis_url), prefix=f"deadline:{uuid.uuid4().hex}", fail_open=False,
        pool=settings,
    )  # fmt: skip
    yield cache
    cache.clear()
    cache.close()


def test_a_trickled_reply_ends_by_the_socket_timeout(cache: RedisCache, proxy: FaultProxy) -> None:
    cache.set("big", BIG, ttl=60)
    with proxy.trickle(1, 0.05, direction="downstream"):
        started = time.monotonic()
        with pytest.raises(BackendTimeoutError):
            cache.get("big")
        elapsed = time.monotonic() - started
    assert TIMEOUT <= elapsed < TIMEOUT + 0.5
    assert cache.get("big") == BIG  # the cut connection was dropped; a new one answers


def test_a_plain_redis_py_client_outlives_its_socket_timeout(
    proxy: FaultProxy, redis_url: str
) -> None:
    """The defect the deadline fixes: per-read timeouts never fire on a trickle."""
    client = redis.Redis.from_url(proxy.url_for(redis_url), socket_timeout=TIMEOUT)
    key = f"deadline:{uuid.uuid4().hex}"
    client.set(key, "x" * 40)
    try:
        with proxy.trickle(1, 0.05, direction="downstream"):
            started = time.monotonic()
            assert client.get(key) == b"x" * 40
            assert time.monotonic() - started > 2 * TIMEOUT
    finally:
        client.delete(key)
        client.close()


def test_commands_within_their_deadline_are_never_cut(redis_url: str) -> None:
    """Thousands of quick commands on few connections, from threads: no false timeout.

    Eight threads share four connections; the pool's wait is long because what is under
    test is the deadline of a command, not how long a thread waits for a connection on a
    loaded machine (the blocking pool is not fair: one thread can wait seconds there).
    A command that really ran past its deadline (a thread descheduled that long on a
    loaded machine) may be cut; one cut sooner is the defect: a deadline left armed, or
    armed on the wrong socket, cutting a command that had time left.
    """
    settings = PoolSettings(
        max_connections=4, pool_timeout=60, socket_timeout=TIMEOUT, connect_timeout=1.0
    )
    client = plain_sync_client(sync_pool(redis_url, settings))
    execute = sync_executor(client)
    key = f"deadline:{uuid.uuid4().hex}"
    errors: list[BaseException] = []
    answered: list[int] = []

    def hammer() -> None:
        done = 0
        try:
            for i in range(500):
                for command in (("SET", key, i), ("GET", key)):
                    started = time.monotonic()
                    try:
                        execute(*command)
                    except redis.TimeoutError:
                        if time.monotonic() - started < TIMEOUT:
                            raise  # cut with time left
                        continue  # the machine held this thread past the deadline
                    done += 1
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        answered.append(done)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    execute("DEL", key)
    client.close()
    assert errors == []
    assert sum(answered) > 0.9 * 8 * 1000  # late commands are rare, not the rule


def test_a_slow_reply_within_the_deadline_is_whole(cache: RedisCache, proxy: FaultProxy) -> None:
    cache.set("small", "ok", ttl=60)  # "$4\r\n\"ok\"\r\n": 10 bytes, 0.2 s at 20 ms a byte
    with proxy.trickle(1, 0.02, direction="downstream"):
        assert cache.get("small") == "ok"


def test_a_command_cut_by_its_own_read_timeout_leaves_nothing_armed(
    pausable: RedisServer,
) -> None:
    """Every way out of a command disarms its deadline: a frozen server's read timeout too.

    A deadline left armed would later shut down whatever socket took over its descriptor.
    """
    settings = PoolSettings(socket_timeout=0.3, connect_timeout=1.0)
    client = plain_sync_client(sync_pool(pausable.url, settings))
    execute = sync_executor(client)
    admin = redis.Redis.from_url(pausable.url)
    try:
        execute("PING")  # a pooled, connected connection
        admin.execute_command("CLIENT", "PAUSE", 800, "ALL")
        with pytest.raises(redis.TimeoutError):
            execute("GET", f"deadline:{uuid.uuid4().hex}")
        armed = [entry[2] for entry in watchdog._heap]  # what is still armed
        assert all(entry.fd < 0 for entry in armed), "a deadline outlived its command"
    finally:
        time.sleep(0.8)  # the pause ends
        admin.close()
        client.close()
