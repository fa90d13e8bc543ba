"""Fixtures of the cache tests: a Redis server of our own (stoppable) and clean state."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from serpens.cache import _redis, _shared, redis_close
from serpens.errors import BackendUnavailableError
from serpens.testing import RedisServer, start_redis


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    """A redis-server owned by these tests, so they may stop and start it.

    Uses the tier forced by ``SERPENS_TEST_REDIS_TIER`` when it is an owned one
    (``local``/``embedded``), else ``local`` with ``embedded`` as fallback.
    """
    forced = os.environ.get("SERPENS_TEST_REDIS_TIER")
    tiers = [forced] if forced in {"local", "embedded"} else ["local", "embedded"]
    for tier in tiers:
        try:
            server = start_redis(tier)
        except BackendUnavailableError:
            if tier == tiers[-1]:
                raise
            continue
        with server:
            yield server
        return


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
async def _reset_cache_singletons(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    for name in ("REDIS_URL", "CACHE_PREFIX", "CACHE_TTL"):
        monkeypatch.delenv(name, raising=False)
    await redis_close()
    _shared._local = None
    yield
    await redis_close()
    assert _redis._state is None


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain redis-py client on the suite's Redis, to set up and inspect keys."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()
