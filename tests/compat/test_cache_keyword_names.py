"""The cache decorators take serpens 2.9.0's parameter names as keywords.

2.9.0 defined ``cached(cache_name, ttl_in_seconds)``, ``clear_cache(cache_name)``,
``acached(cache_name, ttl_seconds)``, ``clear_acache(cache_name=None)`` and
``redis_cached(name, ttl)`` and ``redis_cached_get_or_set(key, ttl, func, *args,
**kwargs)``; a service calling them by keyword broke when the first parameter was renamed
``bucket`` (and ``cached``'s TTL ``ttl``), and when the last took its first three
positionally only.
"""

from __future__ import annotations

import uuid

import pytest

from serpens.cache import (
    acached,
    cached,
    clear_acache,
    clear_cache,
    redis_cached,
    redis_cached_get_or_set,
    redis_close,
    redis_init,
)
from serpens.fakes import AsyncInMemoryCache


def test_cached_and_clear_cache_by_their_2_9_keywords() -> None:
    calls: list[int] = []
    name = f"compat-{uuid.uuid4().hex}"

    @cached(cache_name=name, ttl_in_seconds=60)
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert (square(3), square(3)) == (9, 9)
    clear_cache(cache_name=name)
    assert square(3) == 9
    assert calls == [3, 3]


def test_cached_takes_ttl_under_either_name_and_needs_one() -> None:
    name = f"compat-{uuid.uuid4().hex}"

    @cached(name, ttl=60)
    def one() -> int:
        return 1

    assert one() == 1
    with pytest.raises(TypeError, match="needs a TTL"):
        cached(name)


async def test_acached_and_clear_acache_by_their_2_9_keywords() -> None:
    calls: list[int] = []
    name = f"compat-{uuid.uuid4().hex}"

    @acached(cache_name=name, ttl_seconds=60)
    async def double(n: int) -> int:
        calls.append(n)
        return 2 * n

    assert (await double(2), await double(2)) == (4, 4)
    clear_acache(cache_name=name)
    assert await double(2) == 4
    assert calls == [2, 2]


async def test_redis_cached_by_its_2_9_keywords() -> None:
    calls: list[str] = []
    store = AsyncInMemoryCache()

    @redis_cached(name=f"compat-{uuid.uuid4().hex}", ttl=60, cache=store)
    async def product(sku: str) -> dict[str, str]:
        calls.append(sku)
        return {"sku": sku}

    assert await product("shoe") == await product("shoe") == {"sku": "shoe"}
    assert calls == ["shoe"]


async def test_redis_cached_get_or_set_by_its_2_9_keywords(redis_url: str) -> None:
    calls: list[str] = []

    async def price(sku: str, currency: str = "BRL") -> str:
        calls.append(sku)
        return f"{sku} in {currency}"

    key = f"compat:{uuid.uuid4().hex}"
    await redis_init(redis_url)
    try:
        first = await redis_cached_get_or_set(
            key=key, ttl=60, func=price, sku="shoe", currency="USD"
        )
        again = await redis_cached_get_or_set(key, 60, price, "shoe", currency="USD")
    finally:
        await redis_close()
    assert first == again == "shoe in USD"
    assert calls == ["shoe"]
