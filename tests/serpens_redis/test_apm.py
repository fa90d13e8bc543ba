"""elastic-apm spans of the Redis caches' fast path, recorded by a real elasticapm Client.

The fast path skips redis-py's ``execute_command``, the method elastic-apm's redis
instrumentation wraps, so serpens records the span itself. These tests pin that it is
the very span elastic-apm records for redis-py's own call (compared field by field),
that every command of a cache is one, and that without a transaction nothing is
recorded and nothing fails.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from redis import asyncio as aioredis

from serpens.testing import FaultProxy
from serpens_redis import AsyncRedisCache, RedisCache
from tests._apm import RecordedApm, instrumented, recorded_apm

pytestmark = pytest.mark.redis

_REDIS_INSTRUMENTATION = (
    "elasticapm.instrumentation.packages.redis.RedisInstrumentation",
    "elasticapm.instrumentation.packages.redis.RedisConnectionInstrumentation",
    "elasticapm.instrumentation.packages.asyncio.redis_asyncio.RedisAsyncioInstrumentation",
)


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as apm:
        yield apm


def _prefix() -> str:
    return f"apm{uuid.uuid4().hex[:8]}"


async def test_the_fast_path_records_the_span_elastic_apm_records_for_redis_py(
    apm: RecordedApm, redis_url: str
) -> None:
    apm.client.begin_transaction("request")
    with instrumented(*_REDIS_INSTRUMENTATION):  # elastic-apm's own spans, for reference
        plain = redis.Redis.from_url(redis_url)
        plain.get("missing")
        plain.close()
        async_plain = aioredis.Redis.from_url(redis_url)
        await async_plain.get("missing")
        await async_plain.aclose()
    sync_cache = RedisCache.from_url(redis_url, prefix=_prefix())
    async_cache = AsyncRedisCache.from_url(redis_url, prefix=_prefix())
    try:
        assert sync_cache.get("missing") is None
        assert await async_cache.get("missing") is None
    finally:
        sync_cache.close()
        await async_cache.aclose()
    apm.client.end_transaction("GET /orders", "success")

    sync_reference, async_reference, sync_span, async_span = apm.shapes()
    assert sync_span == sync_reference
    assert async_span == async_reference
    url = urlsplit(redis_url)
    assert sync_span == {
        "name": "GET",
        "type": "db",
        "subtype": "redis",
        "action": "query",
        "outcome": "success",
        "sample_rate": 1.0,
        "context": {
            "destination": {
                "address": url.hostname,
                "port": url.port,
                "service": {"name": "", "resource": "redis", "type": ""},
            },
            "service": {"target": {"type": "redis"}},
        },
    }
    assert async_span == {**sync_span, "sync": False}


async def test_each_command_of_a_cache_is_a_span_naming_the_command_not_the_key(
    apm: RecordedApm, redis_url: str
) -> None:
    cache = AsyncRedisCache.from_url(redis_url, prefix=_prefix())
    apm.client.begin_transaction("request")
    try:
        await cache.set("user:42:email", "a@example.com")
        assert await cache.get("user:42:email") == "a@example.com"
        assert await cache.delete("user:42:email") is True
        assert await cache.get_or_set("user:42:name", lambda: _value("Ada")) == "Ada"
    finally:
        await cache.aclose()
    apm.client.end_transaction("POST /users", "success")
    spans = apm.spans()
    assert [span["name"] for span in spans] == [
        *("SET", "GET", "DEL"),
        # get_or_set: a miss, the fill lock, the entry again under it, the value, the release
        *("GET", "SET", "GET", "SET", "EVAL"),
    ]
    assert {(s["type"], s["subtype"], s["action"]) for s in spans} == {("db", "redis", "query")}
    recorded = json.dumps(apm.events)
    assert "user:42" not in recorded
    assert "a@example.com" not in recorded


async def _value(text: str) -> str:
    return text


def test_the_sync_cache_records_its_commands_too(apm: RecordedApm, redis_url: str) -> None:
    cache = RedisCache.from_url(redis_url, prefix=_prefix())
    apm.client.begin_transaction("task")
    try:
        cache.set("k", [1, 2])
        assert cache.get("k") == [1, 2]
    finally:
        cache.close()
    apm.client.end_transaction("job", "success")
    assert [(s["name"], s["subtype"], s.get("sync")) for s in apm.spans()] == [
        ("SET", "redis", None),
        ("GET", "redis", None),
    ]


async def test_without_a_transaction_nothing_is_recorded_and_the_cache_works(
    apm: RecordedApm, redis_url: str
) -> None:
    async_cache = AsyncRedisCache.from_url(redis_url, prefix=_prefix())
    sync_cache = RedisCache.from_url(redis_url, prefix=_prefix())
    try:
        await async_cache.set("k", {"a": 1})
        assert await async_cache.get("k") == {"a": 1}
        sync_cache.set("k", "v")
        assert sync_cache.get("k") == "v"
    finally:
        await async_cache.aclose()
        sync_cache.close()
    assert apm.events == []


async def test_a_refused_command_is_a_failed_span_and_still_a_miss(
    apm: RecordedApm, redis_url: str
) -> None:
    url = urlsplit(redis_url)
    assert url.hostname is not None
    assert url.port is not None
    with FaultProxy(upstream=(url.hostname, url.port)) as proxy:
        port = proxy.port
        cache = AsyncRedisCache.from_url(proxy.url_for(redis_url), prefix=_prefix())
        apm.client.begin_transaction("request")
        try:
            with proxy.refuse():
                assert await cache.get("k") is None  # fail-open: a miss, no error
        finally:
            await cache.aclose()
        apm.client.end_transaction("GET /orders", "success")
    (span,) = apm.spans()
    assert (span["name"], span["outcome"]) == ("GET", "failure")
    assert span["context"]["destination"]["port"] == port
