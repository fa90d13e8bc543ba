"""The module-level Redis flavour against a real Redis server."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import pytest
from pydantic import RedisDsn, TypeAdapter
from redis import asyncio as aioredis

from serpens.cache import (
    _redis,
    cached_get_or_set,
    redis_cached,
    redis_cached_get_or_set,
    redis_cached_key,
    redis_close,
    redis_delete,
    redis_get,
    redis_get_client,
    redis_init,
    redis_pool,
    redis_set,
)
from serpens.errors import (
    ConfigurationError,
    NotInitializedError,
    SerializationError,
    ValidationError,
)
from serpens_redis import RedisCache

pytestmark = pytest.mark.redis


def _connections(pool: Any) -> list[Any]:
    return [*pool._available_connections, *pool._in_use_connections]


@pytest.fixture
async def raw(redis_url: str) -> aioredis.Redis:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_using_the_cache_before_redis_init_is_a_runtime_error() -> None:
    for call in (
        lambda: redis_get("k"),
        lambda: redis_set("k", 1),
        lambda: redis_delete("k"),
        lambda: redis_cached_get_or_set("k", 1, lambda: 1),
    ):
        with pytest.raises(RuntimeError, match="redis_init"):
            await call()
    with pytest.raises(NotInitializedError, match="redis_init"):
        redis_get_client()

    @redis_cached("early", ttl=1)
    async def fn() -> int:
        return 1

    with pytest.raises(RuntimeError, match="redis_init"):
        await fn()


async def test_settings_are_read_from_the_environment_at_init(
    redis_url: str, prefix: str, raw: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CACHE_PREFIX", prefix)
    monkeypatch.setenv("CACHE_TTL", "42")
    await redis_init()
    await redis_set("user:42", {"name": "Ana", "tags": ("a",)})
    assert await redis_get("user:42") == {"name": "Ana", "tags": ["a"]}
    assert await raw.get(f"{prefix}:user:42") == b'{"name":"Ana","tags":["a"]}'
    assert 41_000 < await raw.pttl(f"{prefix}:user:42") <= 42_000
    await redis_set("short", 1, ttl=5)
    assert await raw.pttl(f"{prefix}:short") <= 5_000
    assert await redis_delete("user:42") is True
    assert await redis_delete("user:42") is False
    assert await redis_get("user:42") is None


async def test_missing_or_malformed_settings_name_the_variable(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        await redis_init()
    monkeypatch.setenv("CACHE_TTL", "soon")
    with pytest.raises(ConfigurationError, match="CACHE_TTL"):
        await redis_init(redis_url)
    monkeypatch.delenv("CACHE_TTL")
    monkeypatch.setenv("REDIS_URL", "http://app:s3cret@cache:6379/0")
    with pytest.raises(ConfigurationError, match="REDIS_URL") as bad_scheme:
        await redis_init()
    assert "s3cret" not in str(bad_scheme.value)
    with pytest.raises(ConfigurationError, match="redis_init"):
        await redis_init("redis://127.0.0.1:notaport/0")
    with pytest.raises(ConfigurationError, match="not a valid Redis URL"):
        redis_pool("localhost:6379").client()
    with pytest.raises(ConfigurationError, match="not a valid Redis URL"):
        RedisCache.from_url("localhost:6379")


async def test_redis_init_with_a_new_url_reconnects(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    db1 = redis_url.rsplit("/", 1)[0] + "/1"
    await redis_init(redis_url, prefix=prefix)
    await redis_init(redis_url, prefix=prefix)  # same URL: idempotent
    await redis_set("where", "db0", ttl=30)
    await redis_init(db1, prefix=prefix)
    await redis_set("where", "db1", ttl=30)
    assert await raw.get(f"{prefix}:where") == b'"db0"'
    other = aioredis.Redis.from_url(db1)
    try:
        assert await other.get(f"{prefix}:where") == b'"db1"'
        await other.delete(f"{prefix}:where")
    finally:
        await other.aclose()


def _cache_pool() -> Any:
    """The pool behind the module functions (redis_get_client() has a pool of its own)."""
    state = _redis._state
    assert state is not None
    return state.cache.client.connection_pool


async def test_redis_close_disconnects_every_pooled_connection(redis_url: str, prefix: str) -> None:
    await redis_init(redis_url, prefix=prefix, max_connections=4)
    await asyncio.gather(*(redis_get(f"k{n}") for n in range(8)))
    client = redis_get_client()
    await asyncio.gather(*(client.get(f"k{n}") for n in range(8)))
    pools = [_cache_pool(), client.connection_pool]
    assert all(any(c.is_connected for c in _connections(pool)) for pool in pools)
    await redis_close()
    assert not any(c.is_connected for pool in pools for c in _connections(pool))


async def test_redis_init_returns_a_client_answering_str_as_2_9s_did(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    """2.9's ``redis_init`` returned its ``decode_responses=True`` client; so does this one."""
    client = await redis_init(redis_url, prefix=prefix)
    assert client is redis_get_client()
    assert await redis_init(redis_url, prefix=prefix) is client  # idempotent: the same one
    await client.set(f"{prefix}:flag", "1", ex=30)
    assert await client.get(f"{prefix}:flag") == "1"
    assert await client.incr(f"{prefix}:n") == 1
    assert await raw.get(f"{prefix}:flag") == b"1"
    await redis_set("user", {"name": "Ada"}, ttl=30)  # the cache itself is unchanged
    assert await redis_get("user") == {"name": "Ada"}
    await raw.delete(f"{prefix}:n")


async def test_redis_init_passes_connection_options_as_2_9_did(redis_url: str, prefix: str) -> None:
    """2.9 passed ``redis_init(url, **kwargs)`` on to ``Redis.from_url``; options reach
    both pools, the URL's query wins, and an unknown option is a configuration error."""
    await redis_init(redis_url, prefix=prefix, socket_timeout=3, client_name="svc-a")
    for pool in (_cache_pool(), redis_get_client().connection_pool):
        assert pool.connection_kwargs["socket_timeout"] == 3
        assert pool.connection_kwargs["client_name"] == "svc-a"
    assert await redis_get_client().client_getname() == "svc-a"
    query = f"{redis_url}{'&' if '?' in redis_url else '?'}socket_timeout=4"
    await redis_init(query, prefix=prefix, socket_timeout=3)
    assert _cache_pool().connection_kwargs["socket_timeout"] == 4.0
    with pytest.raises(
        ConfigurationError, match="unknown Redis connection options: sokcet_timeout"
    ):
        await redis_init(redis_url, prefix=prefix, sokcet_timeout=3)


async def test_the_url_may_be_any_object_whose_str_is_the_url(redis_url: str, prefix: str) -> None:
    """pydantic's ``RedisDsn`` (what ``settings.REDIS_URL`` often is), as 2.9 took it."""
    dsn = TypeAdapter(RedisDsn).validate_python(redis_url)  # not a str
    assert not isinstance(dsn, str)
    await redis_init(dsn, prefix=prefix)
    await redis_set("k", 1, ttl=30)
    assert await redis_get("k") == 1
    dependency = redis_pool(dsn)
    assert redis_url.split("//", 1)[1] in repr(dependency)
    try:
        assert await dependency.client().ping() is True
    finally:
        await dependency.aclose()


async def test_a_full_pool_makes_callers_wait_instead_of_failing(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    await redis_init(redis_url, prefix=prefix, max_connections=2)
    await redis_set("k", "v", ttl=30)
    with caplog.at_level(logging.WARNING, logger="serpens.cache"):
        results = await asyncio.gather(*(redis_get("k") for _ in range(50)))
    assert results == ["v"] * 50
    assert caplog.records == []
    assert len(_connections(_cache_pool())) <= 2


async def test_non_json_values_are_stored_as_text_and_foreign_entries_read_as_misses(
    redis_url: str, prefix: str, raw: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await redis_init(redis_url, prefix=prefix)
    await redis_set("k", {1, 2})  # as serpens 2.9: json.dumps(value, default=str)
    assert await redis_get("k") == "{1, 2}"
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="contains itself"):
        await redis_set("k", loop)
    await raw.set(f"{prefix}:foreign", b"\xff not json")
    with caplog.at_level(logging.WARNING, logger="serpens.cache"):
        assert await redis_get("foreign") is None
    assert "not JSON" in caplog.text


class Products:
    def __init__(self, session: str) -> None:
        self.session = session
        self.calls = 0

    @redis_cached("products", ttl=60)
    async def get(self, slug: str, *, lang: str = "en") -> dict[str, str]:
        self.calls += 1
        return {"slug": slug, "lang": lang, "session": self.session}


async def test_redis_cached_methods_share_entries_and_keys_are_short(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    await redis_init(redis_url, prefix=prefix)
    one, two = Products("s1"), Products("s2")
    first = await one.get(slug="shoe", lang="pt")
    assert await two.get(lang="pt", slug="shoe") == first  # keyword order does not matter
    assert (one.calls, two.calls) == (1, 0)
    keys = [k.decode() for k in await raw.keys(f"{prefix}:*")]
    assert keys == [f"{prefix}:products:lang=pt:slug=shoe"]  # serpens 2.9's key, no self
    await one.get("shoe", lang=["pt"])  # not a str or int: hashed, short
    (hashed,) = {k.decode() for k in await raw.keys(f"{prefix}:*")} - set(keys)
    assert hashed.startswith(f"{prefix}:products:#")
    assert "Products" not in hashed
    assert len(hashed) == len(f"{prefix}:products:#") + 40


async def test_redis_cached_none_and_ttl_options(
    redis_url: str, prefix: str, raw: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CACHE_TTL", "77")
    await redis_init(redis_url, prefix=prefix)
    calls: list[str] = []

    @redis_cached("none")
    async def missing(name: str) -> None:
        calls.append(name)

    @redis_cached("none", cache_none=True)
    async def missing_cached(name: str) -> None:
        calls.append(f"cached:{name}")

    await missing("a")
    await missing("a")
    await missing_cached("a")
    await missing_cached("a")
    assert calls == ["a", "a", "cached:a"]
    (key,) = await raw.keys(f"{prefix}:none:*")
    assert 76_000 < await raw.pttl(key) <= 77_000


async def test_a_ttl_of_0_stores_nothing_as_in_2_9(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    """2.9 sent ``EX 0`` (refused by Redis, so nothing was stored); a TTL of 0 from
    configuration turns caching off instead of failing at import time."""
    await redis_init(redis_url, prefix=prefix)
    calls: list[str] = []

    @redis_cached("off", ttl=0)
    async def product(slug: str) -> dict[str, str]:
        calls.append(slug)
        return {"slug": slug}

    assert [await product("a"), await product("a")] == [{"slug": "a"}] * 2
    assert calls == ["a", "a"]
    assert redis_cached_key(product, "a") is None  # nothing stored, nothing to invalidate
    await redis_set("k", 1, ttl=0)
    assert await redis_cached_get_or_set("g", 0, lambda: calls.append("g") or 5) == 5
    assert await redis_cached_get_or_set("g", 0, lambda: calls.append("g") or 5) == 5
    assert calls == ["a", "a", "g", "g"]
    assert await raw.keys(f"{prefix}:*") == []
    for bad in (-1, float("nan")):
        with pytest.raises(ValidationError, match="TTL"):
            redis_cached("off", ttl=bad)
        with pytest.raises(ValidationError, match="TTL"):
            await redis_set("k", 1, ttl=bad)


async def test_redis_cached_get_or_set_passes_arguments_and_accepts_sync_factories(
    redis_url: str, prefix: str
) -> None:
    await redis_init(redis_url, prefix=prefix)

    async def fetch(user_id: int, *, fields: str) -> dict[str, object]:
        return {"id": user_id, "fields": fields}

    got = await redis_cached_get_or_set("u:1", 60, fetch, 1, fields="name")
    assert got == {"id": 1, "fields": "name"}
    assert await redis_cached_get_or_set("u:1", 60, fetch, 2, fields="x") == got
    assert await redis_cached_get_or_set("sync", 60, lambda: [1, 2]) == [1, 2]


async def test_cached_get_or_set_is_local_without_redis_and_shared_with_it(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    calls: list[int] = []

    async def refresh_token() -> str:
        calls.append(1)
        return f"token-{len(calls)}"

    assert await cached_get_or_set("token", 1800, refresh_token) == "token-1"
    assert await cached_get_or_set("token", 1800, refresh_token) == "token-1"
    await redis_init(redis_url, prefix=prefix)
    assert await cached_get_or_set("token", 1800, refresh_token) == "token-2"
    assert await raw.get(f"{prefix}:token") == b'"token-2"'
    await redis_close()


def test_a_new_event_loop_reconnects_with_the_same_settings(redis_url: str, prefix: str) -> None:
    """Lambda runtimes and test runners may replace the loop: the cache follows it."""
    script = f"""
import asyncio
from serpens.cache import redis_close, redis_get, redis_init, redis_set

async def first():
    await redis_init({redis_url!r}, prefix={prefix!r})
    await redis_set("k", [1], ttl=30)

async def second():
    print(await redis_get("k"))
    await redis_close()

asyncio.run(first())
asyncio.run(second())
"""
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1]"


def test_redis_cached_rejects_sync_functions() -> None:
    with pytest.raises(TypeError, match="async"):

        @redis_cached("sync", ttl=1)
        def sync() -> int:  # type: ignore[type-var]
            return 1


def test_the_dependency_factory_never_shows_the_password() -> None:
    dependency = redis_pool("redis://app:s3cret@cache.internal:6379/0")
    assert "s3cret" not in repr(dependency)
    assert "cache.internal" in repr(dependency)
