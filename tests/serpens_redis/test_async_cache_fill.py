"""The async cache's ``get_or_set`` when its lock is won just after another fill landed.

A caller that misses, then wins the fill lock, reads the entry again under the lock: a
holder stores before it releases, so a lock won right after another process's fill finds
that fill's value, serves it without calling the factory, and lets the lock go. The
contract cells' fills never race that closely, so only this shows it (the sync cache's
twin is in ``test_cache_fill.py``); found by mutating ``serpens_redis/_async_cache.py``
(a read under the lock whose answer was dropped, a release sent wrong, both survived).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import NamedTuple

import pytest
import redis

from serpens.ports import JSONValue
from serpens.testing import FaultProxy, RedisServer
from serpens_redis import AsyncRedisCache
from tests.serpens_redis._cache_fill_support import FILL_LATE, OTHER_FILL_AT, PATIENT, keys_under

pytestmark = pytest.mark.redis


@pytest.fixture
def late_answers(redis_server: RedisServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(redis_server.host, redis_server.port)) as proxy:
        yield proxy


class _Entry(NamedTuple):
    """What the other fill stores, and what the caller that wins the lock then returns."""

    stored: bytes
    cache_none: bool  # the caller's
    expected: JSONValue


@pytest.mark.parametrize(
    "entry",
    [_Entry(b'"other"', cache_none=False, expected="other"), _Entry(b"null", True, None)],
    ids=["value", "cached None"],
)
async def test_a_lock_won_after_another_fill_serves_its_value_and_is_released(
    late_answers: FaultProxy, client: redis.Redis, redis_url: str, prefix: str, entry: _Entry
) -> None:
    """The caller that wins the lock and finds the other fill's value lets the lock go.

    Its answers come back 500 ms late (its requests reach Redis at once): its miss is
    read at 0 s, its lock taken at 0.5 s as the other fill lands, and its read under the
    lock at 1 s finds it (a ``null`` too, for a caller caching ``None``).
    Nothing but that entry is left in Redis: the lock was released, not left to expire.
    """
    cache = AsyncRedisCache.from_url(
        late_answers.url_for(redis_url), prefix=prefix, pool=PATIENT, fail_open=False
    )
    calls: list[int] = []

    async def factory() -> JSONValue:
        calls.append(1)
        return "computed again"

    try:
        await cache.get("warm")  # the connection is open before the answers slow down
        with late_answers.latency(FILL_LATE, direction="downstream"):
            call = asyncio.create_task(
                cache.get_or_set("k", factory, ttl=60, cache_none=entry.cache_none)
            )
            await asyncio.sleep(OTHER_FILL_AT)
            client.set(cache.key("k"), entry.stored, px=60_000)
            assert await asyncio.wait_for(call, 10.0) == entry.expected
    finally:
        await cache.aclose()
    assert calls == []
    assert keys_under(client, prefix) == [cache.key("k").encode()]


async def test_a_fill_whose_factory_returns_none_leaves_nothing(
    client: redis.Redis, redis_url: str, prefix: str
) -> None:
    """A ``None`` that is not cached is no entry, and the fill's lock goes at once.

    The lock is released, not left to lapse after its two seconds (a fill that kept its
    lock whenever the factory answered ``None`` survived the cells).
    """
    cache = AsyncRedisCache.from_url(redis_url, prefix=prefix, fail_open=False)

    async def nothing() -> JSONValue:
        return None

    try:
        assert await cache.get_or_set("k", nothing, ttl=60) is None
    finally:
        await cache.aclose()
    assert keys_under(client, prefix) == []


async def test_the_repr_shows_the_prefix_and_whether_the_cache_fails_open(
    redis_url: str,
) -> None:
    caches = [
        AsyncRedisCache.from_url(redis_url),
        AsyncRedisCache.from_url(redis_url, prefix="shop", fail_open=False),
    ]
    try:
        assert [repr(cache) for cache in caches] == [
            "AsyncRedisCache(prefix='serpens', fail_open=True)",
            "AsyncRedisCache(prefix='shop', fail_open=False)",
        ]
    finally:
        for cache in caches:
            await cache.aclose()
