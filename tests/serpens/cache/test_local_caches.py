"""In-process caches: regressions found by the differential contract test."""

from serpens.cache import AsyncLocalCache, LocalCache


async def test_async_get_or_set_treats_a_stored_null_as_a_miss() -> None:
    cache = AsyncLocalCache()
    await cache.set("k", None)
    calls = []

    async def factory() -> int:
        calls.append(1)
        return 7

    assert await cache.get_or_set("k", factory) == 7
    assert calls == [1]


def test_sync_get_or_set_treats_a_stored_null_as_a_miss() -> None:
    cache = LocalCache()
    cache.set("k", None)
    assert cache.get_or_set("k", lambda: 7) == 7
    assert cache.get("k") == 7
