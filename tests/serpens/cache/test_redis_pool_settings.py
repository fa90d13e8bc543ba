"""``redis_pool``'s bounds, its idempotent ``aclose`` and the missing-SDK error, on real Redis."""

from __future__ import annotations

import sys
import time

import pytest
from redis import asyncio as aioredis

from serpens.cache import RedisPool, redis_init, redis_pool
from serpens.errors import MissingExtraError
from tests.serpens.cache._full_pool import with_the_pool_full

pytestmark = pytest.mark.redis


async def test_a_redis_pool_caller_waits_pool_timeout_for_its_single_connection(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    key = f"{prefix}:k"
    await raw.set(key, "v", ex=30)
    dependency = redis_pool(redis_url, max_connections=1, pool_timeout=0.3)
    try:
        assert dependency.client().connection_pool.max_connections == 1
        client = dependency.client()
        answer, waited = await with_the_pool_full(client.connection_pool, client.get(key))
    finally:
        await dependency.aclose()
    # the one connection is held: the caller waits 0.3 s, not the default 2 s, then the
    # fail-open client answers a miss instead of raising
    assert answer is None
    assert 0.25 <= waited < 1.5


async def test_a_redis_pool_with_room_answers_at_once(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    key = f"{prefix}:k"
    await raw.set(key, "v", ex=30)
    dependency = RedisPool(redis_url, max_connections=2, pool_timeout=0.3)
    client = dependency.client()
    held = await client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        began = time.monotonic()
        assert await client.get(key) == b"v"
        assert time.monotonic() - began < 0.25
    finally:
        await client.connection_pool.release(held)
        await dependency.aclose()


async def test_a_redis_pool_is_closed_idempotently_even_before_first_use(redis_url: str) -> None:
    dependency = redis_pool(redis_url)
    await dependency.aclose()  # no client made yet on this loop: nothing to close
    client = dependency.client()
    assert await client.ping() is True
    await dependency.aclose()
    await dependency.aclose()
    assert dependency.client() is not client  # a new pool after the close


async def test_a_redis_pool_without_the_redis_sdk_names_the_extra(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if serpens[redis] were not installed
    with pytest.raises(MissingExtraError) as raised:
        redis_pool(redis_url).client()
    assert raised.value.extra == "redis"
    assert "pip install 'serpens[redis]'" in str(raised.value)


async def test_redis_init_without_the_redis_sdk_names_the_extra_not_the_url(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docstring's ``MissingExtraError`` (an ``ImportError``), not "the url ... is invalid"."""
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError) as raised:
        await redis_init(redis_url)
    assert isinstance(raised.value, ImportError)
    assert raised.value.extra == "redis"
    assert str(raised.value) == (
        "'redis' is not installed; install it with: pip install 'serpens[redis]'"
    )
