"""The async Redis cache's reads beyond the contract: foreign entries, defaults, a hit's cost.

Twins of the sync cache's ``test_cache_messages.py``, ``test_cache_defaults.py`` and
``test_cache_fill.py`` cases for :class:`~serpens_redis.AsyncRedisCache`: an entry another
client wrote in some other format is a logged miss that ``get_or_set`` replaces (when it
caches ``None`` too), and so is a missing entry; ``from_url`` keeps values 300 seconds
under the ``serpens`` prefix by default; a stored value is served from the first read.
The contract cells write no foreign entries, always pass a prefix and never time a hit;
found by mutating ``serpens_redis/_async_cache.py`` (a miss or a foreign entry read as a
stored ``None``, an unlogged foreign entry, other defaults, a hit filled again: each
survived them).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from serpens.ports import JSONValue
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import AsyncRedisCache
from tests.serpens_redis._cache_fill_support import LATE, PATIENT

pytestmark = pytest.mark.redis


async def _fresh() -> JSONValue:
    return "fresh"


async def test_a_foreign_entry_or_none_is_a_miss_that_get_or_set_fills_caching_none_too(
    client: redis.Redis, redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The foreign entry is logged (naming the Redis key) and replaced; a missing one filled."""
    cache = AsyncRedisCache.from_url(redis_url, prefix=prefix, fail_open=False)
    foreign = cache.key("foreign")
    client.set(foreign, b"\xff written by another client")
    try:
        with caplog.at_level(logging.WARNING, logger="serpens.cache"):
            assert await cache.get_or_set("foreign", _fresh, ttl=60, cache_none=True) == "fresh"
        assert await cache.get_or_set("missing", _fresh, ttl=60, cache_none=True) == "fresh"
    finally:
        await cache.aclose()
    assert client.get(foreign) == b'"fresh"'
    assert client.get(cache.key("missing")) == b'"fresh"'
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert all("not JSON" in warning and repr(foreign) in warning for warning in warnings)


async def test_from_url_keeps_a_value_300_seconds_under_the_serpens_prefix_by_default(
    client: redis.Redis, redis_url: str
) -> None:
    key = f"async-defaults-{uuid.uuid4().hex}"
    cache = AsyncRedisCache.from_url(redis_url)
    try:
        await cache.set(key, {"a": 1})
        assert await cache.get(key) == {"a": 1}
        assert 299_000 < client.pttl(f"serpens:{key}") <= 300_000
    finally:
        await cache.aclose()
        client.delete(f"serpens:{key}")


@pytest.fixture
def late_answers(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


async def test_a_hit_is_one_round_trip(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str
) -> None:
    """A stored value is served from the first read: no fill lock, no second command."""
    cache = AsyncRedisCache.from_url(late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT)
    client.set(cache.key("k"), b'"stored"', px=60_000)

    async def computed() -> JSONValue:
        return "computed"

    try:
        await cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(LATE, direction="downstream"):
            began = time.monotonic()
            assert await cache.get_or_set("k", computed, ttl=60) == "stored"
            elapsed = time.monotonic() - began
    finally:
        await cache.aclose()
    assert elapsed < 2 * LATE / 1000, f"{elapsed:.2f} s: more than one {LATE} ms answer"
