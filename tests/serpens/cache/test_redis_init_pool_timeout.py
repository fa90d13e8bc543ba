"""``redis_init``'s ``pool_timeout`` bounds both pools, and its client shares the breaker."""

from __future__ import annotations

import pytest
from redis import asyncio as aioredis

from serpens.cache import _redis, redis_get, redis_get_client, redis_init
from tests.serpens.cache._full_pool import with_the_pool_full

pytestmark = pytest.mark.redis


async def test_a_cache_read_waits_pool_timeout_for_a_connection_then_misses(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    await redis_init(redis_url, prefix=prefix, max_connections=1, pool_timeout=0.3)
    await raw.set(f"{prefix}:k", "1", ex=30)
    assert await redis_get("k") == 1
    assert _redis._state is not None
    pool = _redis._state.cache.client.connection_pool
    answer, waited = await with_the_pool_full(pool, redis_get("k"))
    assert answer is None  # fail-open: a miss, not an error
    assert 0.25 <= waited < 1.5  # the 0.3 s given, not the default 2 s


async def test_the_client_of_redis_init_waits_the_same_pool_timeout(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    await redis_init(redis_url, prefix=prefix, max_connections=1, pool_timeout=0.3)
    await raw.set(f"{prefix}:k", "v", ex=30)
    client = redis_get_client()
    assert await client.get(f"{prefix}:k") == "v"
    answer, waited = await with_the_pool_full(client.connection_pool, client.get(f"{prefix}:k"))
    assert answer is None
    assert 0.25 <= waited < 1.5


async def test_the_client_of_redis_init_shares_the_caches_circuit_breaker(
    redis_url: str, prefix: str
) -> None:
    """As documented: an outage the cache saw also makes the client skip Redis."""
    client = await redis_init(redis_url, prefix=prefix)
    assert _redis._state is not None
    assert _redis._state.cache.guard is not None
    assert client.serpens_guard is _redis._state.cache.guard
    assert redis_get_client().serpens_guard is _redis._state.cache.guard
