"""What the sync cache tells about a miss or a refused value: warnings and errors.

An entry another client wrote in some other format reads as a miss (``get`` and
``get_or_set`` alike, a caller waiting for another process's fill too: the factory's
value replaces it), with a warning naming the Redis key, so that the writer can be
found. Under fail-open, an unreachable Redis is a miss too, with a warning naming the
backend, the command and the error, never the cache key (keys may carry user data, and
one warning stands for many calls; see ``docs/migrating-from-2.9.md``). A value that is
not JSON raises an error naming the key, from ``set`` and from ``get_or_set`` alike,
Redis reachable or not (messages name the key involved: ``docs/architecture.md``). The
contract cells neither write foreign entries nor read messages; found by mutating
``serpens_redis/_cache.py``. Also: ``cache_none`` does not turn a failed read into a
cached ``None``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import pytest
import redis
from redis import asyncio as aioredis

from serpens.errors import SerializationError
from serpens.testing._common import free_port
from serpens_redis import AsyncRedisCache, RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def unreachable() -> str:
    """The URL of a port nothing listens on: every command is a refused connection."""
    return f"redis://127.0.0.1:{free_port()}/0"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_foreign_entry_is_a_logged_miss_that_get_or_set_replaces(
    client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisCache(client, prefix=f"cache-misses-{uuid.uuid4().hex}")
    full = cache.key("k")
    client.set(full, b"\xff written by another client")
    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            assert cache.get("k") is None
        (warning,) = _warnings(caplog)
        assert "not JSON" in warning
        assert repr(full) in warning
        # a miss for get_or_set too, even when it caches None: the factory fills it
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            assert cache.get_or_set("k", lambda: "fresh", ttl=60, cache_none=True) == "fresh"
        assert client.get(full) == b'"fresh"'
        later = _warnings(caplog)[1:]  # those of get_or_set
        assert later
        assert all(repr(full) in warning for warning in later)
    finally:
        client.delete(full)


def test_a_waiter_polling_a_foreign_entry_warns_once_per_entry_naming_its_key(
    client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the fill lock: a wait over a foreign entry warns once.

    Its polls read the same entry again and again (every 5 to 50 ms): only an entry that
    differs from the one last read is warned about again, so the log says each foreign
    entry once instead of once a poll. After five lock TTLs (here 0.5 s) the waiter
    stops waiting and stores its value.
    """
    cache = RedisCache(client, prefix=f"cache-messages-{uuid.uuid4().hex}", lock_ttl=0.1)
    full, lock = cache.key("k"), cache.lock_key("k")
    client.set(full, b"\xff written by another client")
    client.set(lock, b"another process", px=60_000)
    rewrite = threading.Timer(0.2, client.set, (full, b"\xfe written again"))
    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            rewrite.start()
            assert cache.get_or_set("k", lambda: "fresh", ttl=60) == "fresh"
        warnings = _warnings(caplog)
        assert len(warnings) == 2, warnings  # the first read's, and the rewritten entry's
        assert all(repr(full) in warning for warning in warnings)
        assert client.get(full) == b'"fresh"'
    finally:
        rewrite.cancel()
        client.delete(full, lock)


async def test_an_async_waiter_polling_a_foreign_entry_warns_once_per_entry(
    client: redis.Redis, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The async cache's wait (the source of the sync one) logs each foreign entry once."""
    own = aioredis.Redis.from_url(redis_url)
    cache = AsyncRedisCache(own, prefix=f"cache-messages-{uuid.uuid4().hex}", lock_ttl=0.1)
    full, lock = cache.key("k"), cache.lock_key("k")
    client.set(full, b"\xff written by another client")
    client.set(lock, b"another process", px=60_000)

    async def fresh() -> str:
        return "fresh"

    async def rewrite() -> None:
        await asyncio.sleep(0.2)
        client.set(full, b"\xfe written again")

    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            rewriting = asyncio.create_task(rewrite())
            assert await cache.get_or_set("k", fresh, ttl=60) == "fresh"
            await rewriting
        warnings = _warnings(caplog)
        assert len(warnings) == 2, warnings  # the first read's, and the rewritten entry's
        assert all(repr(full) in warning for warning in warnings)
        assert client.get(full) == b'"fresh"'
    finally:
        await own.aclose()
        client.delete(full, lock)


def test_an_outage_warning_names_the_command_never_the_key(
    unreachable: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One cache per command: each has its own breaker and warning rate limit."""
    reader, clearer = RedisCache.from_url(unreachable), RedisCache.from_url(unreachable)
    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            assert reader.get("customer-4711") is None
            clearer.clear()
    finally:
        reader.close()
        clearer.close()
    read, scan = _warnings(caplog)
    assert "failed on GET (ConnectionError" in read
    assert "failed on SCAN (ConnectionError" in scan
    assert "customer-4711" not in read


def test_an_unreachable_redis_is_a_miss_for_get_or_set_caching_none_too(unreachable: str) -> None:
    """``cache_none`` asks to keep a ``None`` result, not to read a failed command as one."""
    cache = RedisCache.from_url(unreachable)
    try:
        assert cache.get_or_set("k", lambda: "fresh", ttl=60, cache_none=True) == "fresh"
    finally:
        cache.close()


def test_a_value_that_is_not_json_is_refused_naming_its_key(client: redis.Redis) -> None:
    cache = RedisCache(client, prefix=f"cache-messages-{uuid.uuid4().hex}")
    with pytest.raises(SerializationError) as refused:
        cache.set("orders-7", {"at": {1, 2}})  # type: ignore[dict-item]
    assert "orders-7" in str(refused.value)
    with pytest.raises(SerializationError) as computed:
        cache.get_or_set("orders-8", lambda: {"at": {1, 2}}, ttl=60)  # type: ignore[dict-item]
    assert "the value of 'orders-8'" in str(computed.value)  # as given: not the Redis key
    assert client.exists(cache.key("orders-7"), cache.key("orders-8")) == 0


def test_a_factory_value_that_is_not_json_names_its_key_during_an_outage_too(
    unreachable: str,
) -> None:
    cache = RedisCache.from_url(unreachable)
    try:
        with pytest.raises(SerializationError) as refused:
            cache.get_or_set("orders-9", lambda: {"at": {1, 2}}, ttl=60)  # type: ignore[dict-item]
    finally:
        cache.close()
    assert "orders-9" in str(refused.value)
