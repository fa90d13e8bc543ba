"""A sync cache command that opens a connection, and ``clear``, end by the socket timeout.

The sync executor bounds a command's whole reply; a new connection's handshake
(``HELLO``, ``CLIENT SETINFO``...) ran before it, bounded read by read only, so a
trickling link held a new cache's first command 16 s past a 0.5 s ``socket_timeout``.
``clear`` sent SCAN and UNLINK through the client, skipping the deadline altogether.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from serpens.errors import BackendTimeoutError
from serpens.testing import FaultProxy
from serpens_redis import PoolSettings, RedisCache
from serpens_redis._pool import plain_sync_client, sync_executor, sync_pool

pytestmark = pytest.mark.redis

TIMEOUT = 0.3
BUDGET = TIMEOUT + 0.4  # before the fix: 16 s and more
SETTINGS = PoolSettings(socket_timeout=TIMEOUT, connect_timeout=TIMEOUT)


@pytest.fixture(name="open_cache")
def _open_cache(proxy: FaultProxy, redis_url: str) -> Iterator[Callable[..., RedisCache]]:
    opened: list[RedisCache] = []
    prefix = f"reconnect:{uuid.uuid4().hex}"

    def open_cache(*, fail_open: bool = False) -> RedisCache:
        cache = RedisCache.from_url(
            proxy.url_for(redis_url), prefix=prefix, fail_open=fail_open, pool=SETTINGS
        )
        opened.append(cache)
        return cache

    yield open_cache
    for cache in opened:
        cache.clear()
        cache.close()


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


def _raises_in_time(call: Callable[[], Any]) -> None:
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError):
        call()
    assert time.monotonic() - started < BUDGET


@pytest.mark.parametrize("key", ["big", "missing"])
def test_a_first_command_on_a_trickled_new_connection_times_out(
    open_cache: Callable[..., RedisCache], proxy: FaultProxy, key: str
) -> None:
    open_cache().set("big", "x" * 2000, ttl=60)
    cold = open_cache()  # its first command opens its connection
    with proxy.trickle(1, 0.05, direction="downstream"):
        _raises_in_time(lambda: cold.get(key))
    assert cold.get("big") == "x" * 2000  # the cut connection was dropped; a new one answers


def test_a_fail_open_cache_misses_in_time_on_a_trickled_new_connection(
    open_cache: Callable[..., RedisCache], proxy: FaultProxy
) -> None:
    cold = open_cache(fail_open=True)
    with proxy.trickle(1, 0.05, direction="downstream"):
        value, elapsed = _timed(lambda: cold.get("missing"))
    assert value is None
    assert elapsed < BUDGET


def test_a_client_of_your_own_opens_connections_within_the_deadline(
    proxy: FaultProxy, redis_url: str
) -> None:
    """A plain ``redis.Redis`` the caller built (its own, non-blocking pool) is bounded too."""
    client = redis.Redis.from_url(proxy.url_for(redis_url), socket_timeout=TIMEOUT)
    cache = RedisCache(client, prefix=f"reconnect:{uuid.uuid4().hex}", fail_open=False)
    try:
        with proxy.trickle(1, 0.05, direction="downstream"):
            _raises_in_time(lambda: cache.get("missing"))
        assert cache.get("missing") is None
    finally:
        client.close()


def test_a_slow_handshake_within_the_deadline_connects(proxy: FaultProxy, redis_url: str) -> None:
    """Each handshake reply is bounded, not cut early: 10 bytes every 10 ms connects."""
    client = plain_sync_client(sync_pool(proxy.url_for(redis_url), PoolSettings()))
    execute = sync_executor(client)
    try:
        with proxy.trickle(10, 0.01, direction="downstream"):
            assert execute("PING") in (b"PONG", "PONG")
    finally:
        client.close()


def test_a_pool_s_own_connect_function_still_runs_once_bounded(redis_url: str) -> None:
    """A ``redis_connect_func`` of the pool's own runs; two executors wrap it once."""
    calls: list[object] = []

    def on_connect(conn: Any) -> None:
        calls.append(conn)
        conn.on_connect()

    settings = PoolSettings(options={"redis_connect_func": on_connect})
    client = plain_sync_client(sync_pool(redis_url, settings))
    try:
        sync_executor(client)
        execute = sync_executor(client)
        assert execute("PING") in (b"PONG", "PONG")
        assert len(calls) == 1
        wrapped = client.connection_pool.connection_kwargs["redis_connect_func"]
        assert wrapped.args == (on_connect,)  # not a wrapper of a wrapper
    finally:
        client.close()


@pytest.mark.parametrize("fail_open", [False, True])
def test_clear_ends_by_the_deadline_under_a_trickle(
    open_cache: Callable[..., RedisCache], proxy: FaultProxy, fail_open: bool
) -> None:
    cache = open_cache(fail_open=fail_open)
    for i in range(5):
        cache.set(f"k{i}", i, ttl=60)
    with proxy.trickle(1, 0.2, direction="downstream"):
        if fail_open:
            value, elapsed = _timed(cache.clear)
            assert value is None
            assert elapsed < BUDGET
        else:
            _raises_in_time(cache.clear)


def test_clear_empties_every_scan_page(redis_url: str, client: redis.Redis) -> None:
    """More keys than one SCAN page: all go, a nested prefix's too, other prefixes stay."""
    prefix = f"reconnect:{uuid.uuid4().hex}"
    cache = RedisCache.from_url(redis_url, prefix=prefix, fail_open=False)
    names = [f"{prefix}:k{i}" for i in range(1200)] + [f"{prefix}:sub:x"]
    client.mset(dict.fromkeys(names, b"1"))
    client.set(f"{prefix}x:other", b"1")
    try:
        cache.clear()
        assert list(client.scan_iter(match=f"{prefix}:*", count=1000)) == []
        assert client.get(f"{prefix}x:other") == b"1"
    finally:
        client.delete(f"{prefix}x:other")
        cache.close()
