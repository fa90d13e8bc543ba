"""The Redis cache API as services call it, on a real Redis server.

Unkeyable arguments bypass the cache, secrets stay out of reprs, the outage answers of
the ``redis_pool`` client, the value types the API encodes, the key helper, and the
``serpens.cache_async`` name.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import pytest
from redis import asyncio as aioredis

from serpens.cache import (
    _redis,
    redis_cached,
    redis_cached_key,
    redis_delete,
    redis_get,
    redis_get_client,
    redis_init,
    redis_pool,
    redis_set,
)
from serpens.errors import SerializationError, ValidationError
from serpens.testing import RedisServer

pytestmark = pytest.mark.redis


async def _keys(raw: aioredis.Redis, prefix: str) -> list[bytes]:
    return sorted(await raw.keys(f"{prefix}:*"))


async def test_dict_arguments_with_mixed_key_types_bypass_the_cache(
    redis_url: str, raw: aioredis.Redis, prefix: str
) -> None:
    await redis_init(redis_url, prefix=prefix)
    calls: list[object] = []

    @redis_cached("mixed", ttl=60)
    async def lookup(filters: dict[object, object]) -> int:
        calls.append(filters)
        return len(calls)

    mixed = {1: "a", "b": 2}
    assert await lookup(mixed) == 1  # no TypeError: the call went straight to the function
    assert await lookup(mixed) == 2  # and again: nothing was read from the cache ...
    assert await _keys(raw, prefix) == []  # ... nor written to it
    assert await lookup({"a": 1, "b": 2}) == 3
    assert await lookup({"b": 2, "a": 1}) == 3  # keyable arguments still hit
    assert len(await _keys(raw, prefix)) == 1


async def test_int_and_str_dict_keys_never_share_an_entry(
    redis_url: str, raw: aioredis.Redis, prefix: str
) -> None:
    """JSON writes ``{1: x}`` and ``{"1": x}`` alike; their cache keys must still differ."""
    await redis_init(redis_url, prefix=prefix)

    @redis_cached("kinds", ttl=60)
    async def describe(mapping: dict[object, str]) -> str:
        return ",".join(type(key).__name__ for key in mapping)

    assert await describe({1: "a"}) == "int"
    assert await describe({"1": "a"}) == "str"
    assert await describe({True: "a"}) == "bool"
    assert await describe({1: "a"}) == "int"  # a hit, of its own entry
    assert len(await _keys(raw, prefix)) == 3


async def test_the_state_repr_masks_the_password(own_redis: RedisServer, prefix: str) -> None:
    own_redis.start()
    admin = aioredis.Redis.from_url(own_redis.url)
    await admin.config_set("requirepass", "s3cret-pw")
    try:
        url = own_redis.url.replace("redis://", "redis://:s3cret-pw@", 1)
        await redis_init(url, prefix=prefix)
        # fail-open: a connect that outlives the 0.5 s default under the suite's parallel
        # load is a skipped write, so write until one lands (the test is about the repr)
        deadline = time.monotonic() + 5
        await redis_set("k", 1, ttl=60)
        while await redis_get_client().get(f"{prefix}:k") is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            await redis_set("k", 1, ttl=60)
        assert await redis_get_client().get(f"{prefix}:k") == "1"  # the password works
        shown = " ".join([repr(_redis._state), str(_redis._state), repr(redis_get_client())])
        assert "s3cret-pw" not in shown
        assert ":***@" in repr(_redis._state)
    finally:
        await admin.execute_command("AUTH", "s3cret-pw")
        await admin.config_set("requirepass", "")
        await admin.aclose()


class _TenantRepo:
    """A repository bound to one tenant: what it returns depends on ``self``."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.calls = 0

    @redis_cached("shared", ttl=60)  # the specified default: self is not in the key
    async def shared_plan(self, account: int) -> str:
        self.calls += 1
        return f"{self.tenant}:{account}"

    @redis_cached("per-tenant", ttl=60, skip_self=False)
    async def plan(self, account: int) -> str:
        self.calls += 1
        return f"{self.tenant}:{account}"

    def __cache_key__(self) -> str:
        return self.tenant


class _Anonymous:
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @redis_cached("anonymous", ttl=60, skip_self=False)
    async def plan(self, account: int) -> str:
        return f"{self.tenant}:{account}"


async def test_skip_self_false_keeps_tenants_apart(
    redis_url: str, raw: aioredis.Redis, prefix: str
) -> None:
    await redis_init(redis_url, prefix=prefix)
    acme, globex = _TenantRepo("acme"), _TenantRepo("globex")

    # The default (as specified) shares entries between instances: the documented bleed.
    assert await acme.shared_plan(1) == "acme:1"
    assert await globex.shared_plan(1) == "acme:1"

    assert await acme.plan(1) == "acme:1"
    assert await globex.plan(1) == "globex:1"
    assert await acme.plan(1) == "acme:1"
    assert await globex.plan(1) == "globex:1"
    assert (acme.calls, globex.calls) == (2, 1)  # shared_plan once, plan once each: hits
    assert len(await raw.keys(f"{prefix}:per-tenant:*")) == 2

    # Without __cache_key__ an instance cannot be keyed across processes: no caching,
    # and above all no bleed.
    assert await _Anonymous("acme").plan(1) == "acme:1"
    assert await _Anonymous("globex").plan(1) == "globex:1"
    assert await raw.keys(f"{prefix}:anonymous:*") == []


async def test_the_redis_pool_client_answers_like_2_9_during_an_outage(
    own_redis: RedisServer, prefix: str
) -> None:
    own_redis.start()
    dependency = redis_pool(own_redis.url)
    client = dependency.client()
    key = f"{prefix}:k"
    try:
        assert await client.set(key, "v") is True
        assert await client.exists(key) == 1
        own_redis.stop()
        for _ in range(5):  # refused connections, then the open breaker: same answers
            assert await client.get(key) is None
            assert await client.hgetall(key) is None
            assert await client.set(key, "w") is None
            assert await client.delete(key) == 0
            assert await client.unlink(key) == 0
            assert await client.exists(key) == 0
            pipe = client.pipeline()
            pipe.get(key)
            pipe.delete(key)
            pipe.exists(key)
            assert await pipe.execute() == [None, 0, 0]
        own_redis.start()
        began = time.monotonic()
        while await client.exists(key) != 1:  # persisted? no: a fresh server, so set again
            await client.set(key, "again")
            await asyncio.sleep(0.01)
            assert time.monotonic() - began < 2.0
        assert await client.delete(key) == 1
    finally:
        own_redis.start()
        await dependency.aclose()


async def test_decimal_datetime_date_and_uuid_are_stored_as_serpens_2_9_stored_them(
    redis_url: str, raw: aioredis.Redis, prefix: str
) -> None:
    """The 2.9.0 names encode with ``json.dumps(value, default=str)``, as 2.9.0 did."""
    await redis_init(redis_url, prefix=prefix)
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    ident = uuid.UUID(int=7)
    value = {
        "price": Decimal("19.99"),
        "big": Decimal("12345678901234567890.5"),
        "when": when,
        "day": dt.date(2024, 1, 2),
        "id": ident,
    }
    await redis_set("typed", value, ttl=60)
    expected = {
        "price": "19.99",
        "big": "12345678901234567890.5",
        "when": "2024-01-02 03:04:05+00:00",
        "day": "2024-01-02",
        "id": "00000000-0000-0000-0000-000000000007",
    }
    assert await redis_get("typed") == expected
    stored = await raw.get(f"{prefix}:typed")
    assert json.loads(stored) == json.loads(json.dumps(value, default=str))

    @redis_cached("typed", ttl=60)
    async def order(number: int) -> dict[str, object]:
        return {"number": number, "total": Decimal("10.50"), "at": when, "id": ident}

    first = await order(1)
    assert first == {
        "number": 1,
        "total": "10.50",
        "at": "2024-01-02 03:04:05+00:00",
        "id": str(ident),
    }
    assert await order(1) == first  # a hit answers the same
    await redis_set("nan", Decimal("NaN"))  # 2.9.0: the string "NaN"
    assert await redis_get("nan") == "NaN"
    with pytest.raises(SerializationError, match="not valid JSON"):
        await redis_set("nan", float("nan"))


async def test_redis_cached_key_invalidates_one_entry(redis_url: str, prefix: str) -> None:
    await redis_init(redis_url, prefix=prefix)
    calls: list[str] = []

    @redis_cached("products", ttl=60)
    async def product(slug: str, *, currency: str = "BRL") -> dict[str, str]:
        calls.append(slug)
        return {"slug": slug, "currency": currency, "version": str(len(calls))}

    shoe = await product("shoe", currency="USD")
    boot = await product("boot", currency="USD")
    key = redis_cached_key(product, "shoe", currency="USD")
    assert key == "products:shoe:currency=USD"  # serpens 2.9's key
    assert await redis_get(key) == shoe
    assert await redis_delete(key) is True
    assert await product("shoe", currency="USD") == {**shoe, "version": "3"}  # recomputed
    assert await product("boot", currency="USD") == boot  # the other entry is untouched
    assert calls == ["shoe", "boot", "shoe"]

    repo = _TenantRepo("acme")
    await repo.plan(7)
    assert await redis_get(redis_cached_key(_TenantRepo.plan, repo, 7) or "") == "acme:7"
    assert redis_cached_key(product, {1: "a", "b": 2}) is None  # unkeyable: bypassed
    with pytest.raises(ValidationError, match=r"^_value is not decorated with @redis_cached$"):
        redis_cached_key(_value, 1)


async def _value(number: int) -> int:
    return number


async def test_serpens_cache_async_is_the_async_redis_api(redis_url: str, prefix: str) -> None:
    from serpens import cache, cache_async  # noqa: PLC0415 - the import is what is tested

    assert sorted(cache_async.__all__) == cache_async.__all__
    for name in cache_async.__all__:
        assert getattr(cache_async, name) is getattr(cache, name), name
    await cache_async.redis_init(redis_url, prefix=prefix)  # one singleton for both names
    await cache_async.redis_set("k", {"v": 1}, ttl=60)
    assert await redis_get("k") == {"v": 1}

    @cache_async.redis_cached("via-alias", ttl=60)
    async def double(n: int) -> int:
        return 2 * n

    assert await double(21) == 42
    assert await cache_async.redis_get(cache_async.redis_cached_key(double, 21) or "") == 42
    await cache_async.redis_close()


def test_importing_serpens_cache_async_needs_no_redis_sdk() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import serpens.cache_async as c\n"
        "print(sorted(n for n in ('redis_init', 'redis_cached') if hasattr(c, n)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['redis_cached', 'redis_init']"
