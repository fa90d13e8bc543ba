"""``cached_get_or_set``, on Redis or in memory: the call's TTL and arguments reach the entry."""

from __future__ import annotations

import time

import pytest
from redis import asyncio as aioredis

from serpens.cache import cached_get_or_set, redis_init


async def test_the_call_s_ttl_is_the_entry_s_not_cache_ttl(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    await redis_init(redis_url, prefix=prefix, ttl=600)

    async def token() -> str:
        return "t0k3n"

    assert await cached_get_or_set("token", 5, token) == "t0k3n"
    assert 0 < await raw.pttl(f"{prefix}:token") <= 5_000
    assert await cached_get_or_set("plain", None, token) == "t0k3n"  # None: CACHE_TTL's
    assert 595_000 < await raw.pttl(f"{prefix}:plain") <= 600_000


async def test_the_factory_gets_the_call_s_arguments(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    def join(first: str, second: str, *, sep: str) -> str:
        return f"{first}{sep}{second}"

    assert await cached_get_or_set("local", 60, join, "a", "b", sep="-") == "a-b"  # in memory
    await redis_init(redis_url, prefix=prefix)
    assert await cached_get_or_set("joined", 60, join, "a", "b", sep="+") == "a+b"
    assert await raw.get(f"{prefix}:joined") == b'"a+b"'


async def test_without_redis_the_call_s_ttl_is_the_entry_s(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])  # the local store reads it per call
    calls: list[int] = []

    def fill() -> int:
        calls.append(1)
        return len(calls)

    assert await cached_get_or_set("short", 5, fill) == 1
    now[0] = 1004.999
    assert await cached_get_or_set("short", 5, fill) == 1
    now[0] = 1005.0
    assert await cached_get_or_set("short", 5, fill) == 2
