"""The in-memory caches' own settings, beyond the contract: the default TTL."""

from __future__ import annotations

import pytest

from serpens.errors import SerializationError
from serpens.fakes import AsyncInMemoryCache, InMemoryCache


class _Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestInMemoryCacheDefaultTtl:
    """Without ``default_ttl`` both fakes keep an entry 300 s, like ``RedisCache``."""

    def test_the_sync_fake_keeps_an_entry_300_seconds(self) -> None:
        clock = _Clock()
        cache = InMemoryCache(clock=clock)
        cache.set("k", 1)
        clock.now = 299.999
        assert cache.get("k") == 1
        clock.now = 300.0
        assert cache.get("k") is None

    @pytest.mark.parametrize("fill", ["set", "get_or_set"])
    async def test_the_async_fake_keeps_an_entry_300_seconds(self, fill: str) -> None:
        clock = _Clock()
        cache = AsyncInMemoryCache(clock=clock)

        async def factory() -> int:
            return 1

        if fill == "set":
            await cache.set("k", 1)
        else:
            assert await cache.get_or_set("k", factory) == 1
        clock.now = 299.999
        assert await cache.get("k") == 1
        clock.now = 300.0
        assert await cache.get("k") is None


class TestInMemoryCacheRefusedValuesNameTheirKey:
    """A value that is not JSON is refused naming the key it was meant for."""

    def test_set_and_get_or_set_name_the_key(self) -> None:
        cache = InMemoryCache()
        with pytest.raises(SerializationError, match="the value of 'orders-7'"):
            cache.set("orders-7", {"at": {1, 2}})  # type: ignore[dict-item]
        with pytest.raises(SerializationError, match="the value of 'orders-8'"):
            cache.get_or_set("orders-8", lambda: {"at": {1, 2}})  # type: ignore[dict-item]

    async def test_the_async_get_or_set_names_the_key(self) -> None:
        async def factory() -> object:
            return {"at": {1, 2}}

        with pytest.raises(SerializationError, match="the value of 'orders-9'"):
            await AsyncInMemoryCache().get_or_set("orders-9", factory)  # type: ignore[arg-type]
