"""``RedisCache(client)`` with nothing else: the defaults its docstring promises.

The contract cells build every cache with explicit arguments, so these pin what a caller
who passes only a client gets: a 300-second TTL under the ``serpens`` prefix, fail-open
reads when Redis is unreachable, and a client the cache does not own (``close`` leaves
it working); and the ``repr`` that shows those settings in logs and debuggers.
"""

from __future__ import annotations

import socket
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from serpens_redis import RedisCache

pytestmark = pytest.mark.redis


def test_a_value_set_without_a_ttl_lives_300_seconds_under_the_serpens_prefix(
    client: redis.Redis,
) -> None:
    cache = RedisCache(client)
    key = f"defaults-{uuid.uuid4().hex}"
    cache.set(key, {"a": 1})
    try:
        assert cache.get(key) == {"a": 1}
        assert 299_000 < client.pttl(f"serpens:{key}") <= 300_000
    finally:
        client.delete(f"serpens:{key}")


def test_from_url_keeps_a_value_under_the_serpens_prefix_by_default(
    client: redis.Redis, redis_url: str
) -> None:
    """``from_url`` has the constructor's default prefix (a mutated one survived the cells)."""
    cache = RedisCache.from_url(redis_url)
    key = f"defaults-{uuid.uuid4().hex}"
    try:
        cache.set(key, {"a": 1})
        assert client.get(f"serpens:{key}") == b'{"a":1}'
    finally:
        cache.close()
        client.delete(f"serpens:{key}")


def test_close_leaves_a_client_the_cache_was_given_connected(client: redis.Redis) -> None:
    """The same server connection answers after ``close`` (redis-py would reconnect)."""
    before = client.client_id()
    RedisCache(client).close()
    assert client.client_id() == before


def test_an_unreachable_redis_reads_as_a_miss_by_default() -> None:
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # no retries: redis-py's default three, with backoff, would take 7 s to fail
    down = redis.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        cache = RedisCache(down)
        assert cache.get("k") is None
        assert cache.get_or_set("k", lambda: 7, ttl=60) == 7
    finally:
        down.close()


def test_the_repr_shows_the_prefix_and_whether_the_cache_fails_open(client: redis.Redis) -> None:
    assert repr(RedisCache(client)) == "RedisCache(prefix='serpens', fail_open=True)"
    strict = RedisCache(client, prefix="shop", fail_open=False)
    assert repr(strict) == "RedisCache(prefix='shop', fail_open=False)"
