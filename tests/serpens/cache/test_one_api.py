"""One cache API: the decorators and the Cache port objects share names and defaults,
and ``@redis_cached`` runs on an injected ``AsyncCache`` (the fake in unit tests)."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from redis import asyncio as aioredis

from serpens.cache import _redis, acached, cached, clear_acache, redis_cached, redis_cached_key
from serpens.errors import ValidationError
from serpens.fakes import AsyncInMemoryCache
from serpens.testing import RedisServer
from serpens_redis import AsyncRedisCache, RedisCache


async def test_redis_cached_runs_on_the_fake_without_redis() -> None:
    fake = AsyncInMemoryCache()
    calls: list[str] = []

    @redis_cached("products", ttl=60, cache=fake)
    async def product(slug: str) -> dict[str, object]:
        calls.append(slug)
        return {"slug": slug, "sizes": (38, 39)}

    assert _redis._state is None  # no redis_init, no server
    assert await product("shoe") == {"slug": "shoe", "sizes": [38, 39]}  # JSON, like Redis
    assert await product("shoe") == {"slug": "shoe", "sizes": [38, 39]}
    assert calls == ["shoe"]
    key = redis_cached_key(product, "shoe")
    assert key == "products:shoe"
    assert fake.keys() == [key]
    assert await fake.delete(key) is True
    await product("shoe")
    assert calls == ["shoe", "shoe"]


def test_cache_none_needs_a_cache_that_can_store_none() -> None:
    with pytest.raises(ValidationError) as caught:
        redis_cached("b", cache=AsyncInMemoryCache(), cache_none=True)
    assert str(caught.value).startswith(
        "cache_none=True needs a cache whose get_or_set takes cache_none; "
        "AsyncInMemoryCache does not"
    )

    class Opaque(AsyncInMemoryCache):
        get_or_set = max  # type: ignore[assignment]  # no signature to read: not assumed

    with pytest.raises(ValidationError, match="Opaque does not"):
        redis_cached("b", cache=Opaque(), cache_none=True)


@pytest.mark.redis
async def test_redis_cached_on_an_injected_redis_cache(own_redis: RedisServer, prefix: str) -> None:
    own_redis.start()
    cache = AsyncRedisCache.from_url(own_redis.url, prefix=prefix)
    raw = aioredis.Redis.from_url(own_redis.url)
    calls: list[int] = []

    @redis_cached("n", ttl=60, cache=cache, cache_none=True)
    async def nothing(n: int) -> None:
        calls.append(n)

    try:
        assert await nothing(1) is None
        assert await nothing(1) is None  # None stored (JSON null) and hit
        assert calls == [1]
        assert await raw.get(f"{prefix}:{redis_cached_key(nothing, 1)}") == b"null"
        own_redis.stop()  # the injected cache fails open by default, like redis_*
        assert await nothing(2) is None
        assert calls == [1, 2]
    finally:
        own_redis.start()
        await raw.aclose()
        await cache.aclose()


def test_every_cache_api_takes_ttl_and_the_redis_objects_fail_open_by_default() -> None:
    for decorator in (cached, acached, redis_cached):
        assert "ttl" in inspect.signature(decorator).parameters, decorator.__name__
    for port in (RedisCache, AsyncRedisCache):
        for method in (port.__init__, port.from_url):
            assert inspect.signature(method).parameters["fail_open"].default is True


async def test_acached_takes_ttl_like_the_others() -> None:
    calls: list[int] = []

    @acached("ttl-name", ttl=0.05)  # the name wins over ttl_seconds' default of 300 s
    async def value() -> int:
        calls.append(1)
        return len(calls)

    try:
        assert await value() == 1
        assert await value() == 1
        await asyncio.sleep(0.1)
        assert await value() == 2  # expired after ttl, not after 300 s
    finally:
        clear_acache("ttl-name")
    with pytest.raises(ValidationError):
        acached("bad-ttl", ttl=-1)
    with pytest.raises(ValidationError):
        acached("bad-ttl", ttl_seconds=float("nan"))


async def test_acached_with_a_ttl_of_0_calls_through_as_in_2_9() -> None:
    calls: list[str] = []

    class Repo:
        @acached("off-async", 0)
        async def by_slug(self, slug: str) -> str:
            calls.append(slug)
            return slug.upper()

        @acached("off-async", ttl=0)
        async def by_id(self, item_id: int) -> int:
            calls.append(str(item_id))
            return item_id

    repo = Repo()
    assert [await repo.by_slug("a"), await repo.by_slug("a")] == ["A", "A"]
    assert [await repo.by_id(1), await repo.by_id(1)] == [1, 1]
    assert calls == ["a", "a", "1", "1"]
    clear_acache("off-async")
