"""``redis_init``'s prefix and default TTL: taken from the call, checked, and applied."""

from __future__ import annotations

import pytest
from redis import asyncio as aioredis

from serpens.cache import redis_init, redis_set
from serpens.errors import ConfigurationError


async def test_the_ttl_given_is_the_default_of_every_write(
    redis_url: str, prefix: str, raw: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CACHE_TTL", "600")  # the argument wins over the variable
    await redis_init(redis_url, prefix=prefix, ttl=1)  # one second is a valid TTL
    await redis_set("k", 1)
    assert 0 < await raw.pttl(f"{prefix}:k") <= 1_000


@pytest.mark.parametrize("ttl", [0, -1])
async def test_a_ttl_that_is_not_positive_is_refused(redis_url: str, ttl: float) -> None:
    with pytest.raises(ConfigurationError, match=r"^CACHE_TTL must be > 0$"):
        await redis_init(redis_url, ttl=ttl)


async def test_an_empty_prefix_is_refused(redis_url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^CACHE_PREFIX must not be empty$"):
        await redis_init(redis_url, prefix="")
