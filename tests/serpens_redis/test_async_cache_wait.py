"""The async cache's ``get_or_set`` while another process holds the fill lock, and its errors.

The twins of the sync cache's ``test_cache_fill.py`` and ``test_cache_messages.py`` cases
for :class:`~serpens_redis.AsyncRedisCache`, which has its own loop: a waiter polls the
entry (5 ms, doubling up to 50 ms between polls) and serves the holder's value as soon as
it appears, sleeping between polls; after five lock TTLs of a holder that never stores it
calls its own factory. A value that is not JSON is refused naming the caller's key. The
contract cells neither hold a lock from outside nor read messages; found by mutating
``serpens_redis/_async_cache.py`` (a first poll a second late, a poll interval capped at
a second or shrinking to nothing, errors naming no key or the wrong slice of the Redis
key, a ``str`` answer read as ``"None"``: each survived them).
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

import pytest
import redis
from redis import asyncio as aioredis

from serpens.errors import SerializationError
from serpens.ports import JSONValue
from serpens_redis import AsyncRedisCache
from tests.serpens_redis._cache_fill_support import DEADLINE, LOCK_TTL, OTHER, PROMPT, STORE_AT

pytestmark = pytest.mark.redis


def _lock(cache: AsyncRedisCache) -> bytes:
    return cache.lock_key("k")


@pytest.mark.parametrize(
    ("value", "stored"), [("mine", b'"mine"'), (None, b"null")], ids=["value", "cached None"]
)
async def test_a_waiter_stops_waiting_for_a_holder_that_never_stores(
    client: redis.Redis, redis_url: str, prefix: str, value: JSONValue, stored: bytes
) -> None:
    """Five lock TTLs after its miss the waiter calls its own factory, and stores the result.

    The holder keeps its lock: the waiter's value is cached with the waiter's TTL, and
    the holder's lock is left alone.
    """
    cache = AsyncRedisCache.from_url(redis_url, prefix=prefix, lock_ttl=LOCK_TTL)
    client.set(_lock(cache), OTHER, px=60_000)
    calls: list[int] = []

    async def factory() -> JSONValue:
        calls.append(1)
        return value

    try:
        began = time.monotonic()
        fill = cache.get_or_set("k", factory, ttl=60, cache_none=True)
        assert await asyncio.wait_for(fill, DEADLINE) == value
        waited = time.monotonic() - began
    finally:
        await cache.aclose()
    assert waited >= 5 * LOCK_TTL  # it did wait for the holder
    assert calls == [1]
    assert client.get(cache.key("k")) == stored
    assert 59_000 < client.pttl(cache.key("k")) <= 60_000
    assert client.get(_lock(cache)) == OTHER


class _Entry(NamedTuple):
    """What the holder stores, and what a caller waiting for it then returns."""

    decode_responses: bool  # the waiter's client
    stored: bytes
    cache_none: bool  # the waiter's
    expected: JSONValue


@pytest.mark.parametrize(
    "entry",
    [
        _Entry(decode_responses=False, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=True, stored=b'"theirs"', cache_none=False, expected="theirs"),
        _Entry(decode_responses=False, stored=b"null", cache_none=True, expected=None),
    ],
    ids=["bytes", "str", "cached None"],
)
async def test_a_waiter_serves_the_holders_value_at_its_next_poll(
    client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The value is served within a poll of being stored, while the lock is still held.

    The waiter neither waits for the lock to go nor calls its factory, and it sleeps
    between polls (the process spends next to no CPU while it waits); the same with a
    client decoding its answers, and for a stored ``null`` when the caller caches ``None``.
    """
    own = aioredis.Redis.from_url(redis_url, decode_responses=entry.decode_responses)
    cache = AsyncRedisCache(own, prefix=prefix)  # a 2 s lock: it would wait up to 10 s
    client.set(_lock(cache), OTHER, px=60_000)
    calls: list[int] = []

    async def factory() -> JSONValue:
        calls.append(1)
        return "mine"

    try:
        fill = asyncio.create_task(
            cache.get_or_set("k", factory, ttl=60, cache_none=entry.cache_none)
        )
        await asyncio.sleep(STORE_AT / 2)
        cpu = time.process_time()
        await asyncio.sleep(STORE_AT / 2)
        spent = time.process_time() - cpu
        client.set(cache.key("k"), entry.stored, px=60_000)
        stored_at = time.monotonic()
        assert await asyncio.wait_for(fill, DEADLINE) == entry.expected
        assert time.monotonic() - stored_at < PROMPT
    finally:
        await own.aclose()
    assert calls == []
    assert client.get(_lock(cache)) == OTHER
    assert spent < 0.05, f"the waiting process used {spent:.3f} s of CPU in {STORE_AT / 2} s"


async def test_a_value_that_is_not_json_is_refused_naming_its_key(
    client: redis.Redis, redis_url: str, prefix: str
) -> None:
    """``set`` and ``get_or_set`` name the key as the caller gave it, not the Redis key."""
    cache = AsyncRedisCache.from_url(redis_url, prefix=prefix, fail_open=False)

    async def factory() -> JSONValue:
        return {"at": {1, 2}}  # type: ignore[dict-item]

    try:
        with pytest.raises(SerializationError) as refused:
            await cache.set("orders-7", {"at": {1, 2}})  # type: ignore[dict-item]
        with pytest.raises(SerializationError) as computed:
            await cache.get_or_set("orders-8", factory, ttl=60)
    finally:
        await cache.aclose()
    assert "'orders-7'" in str(refused.value)
    assert "the value of 'orders-8'" in str(computed.value)
    assert client.exists(cache.key("orders-7"), cache.key("orders-8")) == 0
