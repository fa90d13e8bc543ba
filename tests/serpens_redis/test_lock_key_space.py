"""A fill lock's Redis key is no cache key: no user entry can stand in for a lock.

The lock of ``k`` was once ``<prefix>:k\\x00lock``, the Redis key of the cache key
``"k\\x00lock"`` (a valid key: NUL is allowed). An entry stored there made every
``get_or_set("k")`` wait for a lock nobody held (five lock TTLs, 10 s by default)
before calling its factory. A lock key ends with byte 0xFF, never in UTF-8 text.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest
import redis
from redis import asyncio as aioredis

from serpens_redis import AsyncRedisCache, RedisCache

pytestmark = pytest.mark.redis

AT_ONCE = 1.0  # far below the 10 s of five default lock TTLs


@pytest.fixture
async def async_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    own = aioredis.Redis.from_url(redis_url)
    yield own
    await own.aclose()


@pytest.mark.parametrize("key", ["k", "k:sub", "ключ"])
def test_an_entry_named_like_an_old_lock_does_not_hold_up_a_fill(
    client: redis.Redis, prefix: str, key: str
) -> None:
    cache = RedisCache(client, prefix=prefix, fail_open=False)
    cache.set(f"{key}\x00lock", "a user's value", ttl=60)
    start = time.monotonic()
    assert cache.get_or_set(key, lambda: 7) == 7
    assert time.monotonic() - start < AT_ONCE
    assert cache.get(f"{key}\x00lock") == "a user's value"  # untouched by the fill
    assert client.exists(cache.lock_key(key)) == 0  # the lock was taken and released


async def test_the_async_cache_does_not_wait_on_such_an_entry_either(
    async_client: aioredis.Redis, prefix: str
) -> None:
    cache = AsyncRedisCache(async_client, prefix=prefix, fail_open=False)
    await cache.set("k\x00lock", "a user's value", ttl=60)

    async def factory() -> int:
        return 7

    start = time.monotonic()
    assert await cache.get_or_set("k", factory) == 7
    assert time.monotonic() - start < AT_ONCE
    assert await cache.get("k\x00lock") == "a user's value"


@pytest.mark.parametrize("make", [str, lambda key: f"{key}\x00lock"], ids=["key", "old-lock"])
def test_a_lock_key_is_no_cache_key_under_any_prefix(
    client: redis.Redis, make: Callable[[str], str]
) -> None:
    """Not UTF-8 (byte 0xFF), so no ``<prefix>:<key>`` of text is ever equal to it."""
    cache = RedisCache(client, prefix="p")
    lock = cache.lock_key(make("k"))
    assert lock.startswith(b"p:")  # clear() of the prefix still matches it
    with pytest.raises(UnicodeDecodeError):
        lock.decode()
