"""serpens 2.9's Redis functions fail open on every ``RedisError``, command errors too.

Its README: "On RedisError (...) reads return None (treated as miss), writes/deletes
become no-ops, and redis_cached_get_or_set falls through to the wrapped function", and
for ``redis_pool``: "get returns None, set/delete no-op on RedisError". A key another
service wrote with another type (a hash) makes Redis refuse ``GET`` with ``WRONGTYPE``:
a ``ResponseError``, which came out raw. Each such call now serves a miss and logs a
warning; the refusal never opens the breaker (Redis answered, other keys still work).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import pytest
from redis import asyncio as aioredis

from serpens.cache import (
    _redis,
    redis_cached,
    redis_cached_get_or_set,
    redis_delete,
    redis_get,
    redis_init,
    redis_pool,
    redis_set,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.WARNING, logger="serpens.cache")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "serpens.cache"]


@pytest.fixture
async def hash_key(raw: aioredis.Redis, prefix: str) -> AsyncIterator[str]:
    """The cache key ``h``, held in Redis by a hash (another service's key)."""
    await raw.hset(f"{prefix}:h", "a", "1")
    yield "h"
    await raw.delete(f"{prefix}:h")


async def test_the_functions_serve_a_miss_on_a_key_of_another_type(
    redis_url: str,
    prefix: str,
    raw: aioredis.Redis,
    hash_key: str,
    warnings: Callable[[], list[str]],
) -> None:
    await redis_init(redis_url, prefix=prefix)
    calls: list[int] = []

    async def fill() -> dict[str, int]:
        calls.append(1)
        return {"x": 1}

    assert await redis_get(hash_key) is None
    assert await redis_cached_get_or_set(hash_key, 60, fill) == {"x": 1}
    assert calls == [1]
    assert await raw.hgetall(f"{prefix}:h") == {b"a": b"1"}  # the fill stored nothing over it
    assert any("WRONGTYPE" in message for message in warnings())
    assert not _redis._current().cache.guard.is_open  # type: ignore[union-attr]
    await redis_set("fine", 1)  # other keys keep working
    assert await redis_get("fine") == 1
    assert await redis_delete("fine") is True


async def test_redis_cached_calls_through_on_a_key_of_another_type(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    await redis_init(redis_url, prefix=prefix)
    calls: list[str] = []

    @redis_cached("bucket", ttl=60)
    async def find(name: str) -> str:
        calls.append(name)
        return name.upper()

    await raw.hset(f"{prefix}:bucket:ana", "a", "1")
    try:
        assert await find("ana") == "ANA"
        assert await find("ana") == "ANA"
        assert calls == ["ana", "ana"]
    finally:
        await raw.delete(f"{prefix}:bucket:ana")


async def test_the_redis_pool_client_answers_none_on_a_refused_command(
    redis_url: str, prefix: str, hash_key: str, warnings: Callable[[], list[str]]
) -> None:
    pool = redis_pool(redis_url)
    client = pool.client()
    try:
        assert await client.get(f"{prefix}:{hash_key}") is None
        assert await client.incr(f"{prefix}:{hash_key}") is None
        assert any("WRONGTYPE" in message for message in warnings())
        assert not client.serpens_guard.is_open
        for _ in range(5):  # never counted as an outage
            await client.get(f"{prefix}:{hash_key}")
        assert not client.serpens_guard.is_open
        assert await client.set(f"{prefix}:ok", "v") is True
        assert await client.get(f"{prefix}:ok") == b"v"
        assert await client.delete(f"{prefix}:ok") == 1
    finally:
        await pool.aclose()


async def test_a_registered_script_still_loads_itself_through_the_pool_client(
    redis_url: str,
) -> None:
    """redis-py's ``Script`` runs ``EVALSHA`` and loads the script on ``NoScriptError``."""
    pool = redis_pool(redis_url)
    client = pool.client()
    try:
        script = client.register_script("return 'ran ' .. ARGV[1]")
        await client.script_flush()
        assert await script(args=["once"]) == b"ran once"
    finally:
        await pool.aclose()
