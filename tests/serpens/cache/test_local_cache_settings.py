"""``LocalCache``/``AsyncLocalCache``: their constructor settings reach the store.

The contract suites build these caches with an injected clock and no bound; the
settings a service passes (``default_ttl``, ``max_entries``, ``clock``) and the TTL kept
in whole milliseconds are pinned here, for both classes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest

from serpens.cache import AsyncLocalCache, LocalCache
from serpens.cache._store import MISS, TTLStore
from serpens.errors import SerializationError, ValidationError


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_default_ttl_is_300_seconds() -> None:
    clock = Clock()
    cache = LocalCache(clock=clock)
    cache.set("k", 1)
    clock.now = 299.999
    assert cache.get("k") == 1
    clock.now = 300.0
    assert cache.get("k") is None


async def test_the_async_default_ttl_is_300_seconds() -> None:
    clock = Clock()
    cache = AsyncLocalCache(clock=clock)
    await cache.set("k", 1)
    clock.now = 299.999
    assert await cache.get("k") == 1
    clock.now = 300.0
    assert await cache.get("k") is None


def test_default_ttl_and_a_call_s_ttl_are_kept_to_the_millisecond() -> None:
    clock = Clock()
    cache = LocalCache(default_ttl=1000, clock=clock)
    cache.set("default", 1)
    cache.set("own", 2, ttl=2000)
    assert cache.get_or_set("filled", lambda: 3, ttl=2000) == 3
    clock.now = 999.9995
    assert [cache.get("default"), cache.get("own"), cache.get("filled")] == [1, 2, 3]
    clock.now = 1000.0
    assert cache.get("default") is None
    clock.now = 1999.9995
    assert [cache.get("own"), cache.get("filled")] == [2, 3]
    clock.now = 2000.0
    assert [cache.get("own"), cache.get("filled")] == [None, None]


async def test_the_async_cache_takes_its_settings_and_a_call_s_ttl() -> None:
    clock = Clock()
    cache = AsyncLocalCache(default_ttl=10, clock=clock)
    await cache.set("default", 1)
    await cache.set("own", 2, ttl=20)

    async def three() -> int:
        return 3

    assert await cache.get_or_set("filled", three, ttl=20) == 3
    clock.now = 9.9995
    assert await cache.get("default") == 1
    clock.now = 10.0
    assert await cache.get("default") is None
    assert [await cache.get("own"), await cache.get("filled")] == [2, 3]
    clock.now = 20.0
    assert [await cache.get("own"), await cache.get("filled")] == [None, None]


def test_a_bound_of_one_entry_keeps_the_last_one() -> None:
    cache = LocalCache(max_entries=1)
    cache.set("a", 1)
    cache.set("b", 2)
    assert [cache.get("a"), cache.get("b"), len(cache)] == [None, 2, 1]


def test_max_entries_evicts_the_least_recently_used() -> None:
    cache = LocalCache(max_entries=2)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.set("c", 3)
    assert [cache.get("a"), cache.get("b"), cache.get("c")] == [1, None, 3]
    assert len(cache) == 2


async def test_the_async_cache_keeps_max_entries() -> None:
    cache = AsyncLocalCache(max_entries=2)
    for key in "abc":
        await cache.set(key, key)
    assert [await cache.get("a"), await cache.get("b"), await cache.get("c")] == [None, "b", "c"]
    assert len(cache) == 2


def test_a_refused_value_names_its_key() -> None:
    cache = LocalCache()
    with pytest.raises(SerializationError, match="cache the value of 'nan-key'"):
        cache.set("nan-key", float("nan"))
    with pytest.raises(SerializationError, match="cache the value of 'filled-key'"):
        cache.get_or_set("filled-key", lambda: {"x": float("inf")})


def test_a_factory_may_fill_another_key_of_the_same_cache() -> None:
    cache = LocalCache()
    results: list[object] = []
    # each key has its own fill lock: a fill that reads another key does not wait on itself
    worker = threading.Thread(
        target=lambda: results.append(
            cache.get_or_set("outer", lambda: {"inner": cache.get_or_set("inner", lambda: 1)})
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=10)
    assert results == [{"inner": 1}]


async def test_concurrent_async_fills_of_two_keys_keep_their_own_results() -> None:
    cache = AsyncLocalCache()

    def factory(value: str) -> Callable[[], Awaitable[str]]:
        async def fill() -> str:
            await asyncio.sleep(0.01)
            return value

        return fill

    assert await asyncio.gather(
        cache.get_or_set("a", factory("a")), cache.get_or_set("b", factory("b"))
    ) == ["a", "b"]
    assert [await cache.get("a"), await cache.get("b")] == ["a", "b"]


def test_a_write_evicts_an_entry_whose_expiry_is_now() -> None:
    clock = Clock()
    store = TTLStore(clock=clock)
    store.set("a", 1, 10.0)
    clock.now = 10.0  # "a" is expired from this instant on (a read already misses)
    store.set("b", 2, 10.0)
    assert len(store) == 1


def test_entries_outlive_the_compaction_of_the_expiry_heap() -> None:
    clock = Clock()
    clock.now = 1000.0
    store = TTLStore(clock=clock)
    store.set("live", 1, 100.0)
    for value in range(200):  # overwritten rows pile up in the heap until it is rebuilt
        store.set("hot", value, 100.0)
    store.set("other", 2, 100.0)
    assert [store.get("live"), store.get("hot"), store.get("other")] == [1, 199, 2]
    clock.now = 1100.0
    store.set("late", 3, 100.0)
    assert len(store) == 1


@pytest.mark.parametrize("bad", [True, "3", 0, 1.5])
def test_a_bound_that_is_not_a_positive_int_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="max_entries must be an int of at least 1"):
        TTLStore(max_entries=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="max_entries"):
        LocalCache(max_entries=bad)  # type: ignore[arg-type]


def test_a_read_evicts_the_expired_entry_it_finds() -> None:
    clock = Clock()
    store = TTLStore(clock=clock)
    store.set("a", 1, 10.0)
    clock.now = 10.0
    assert store.get("a") is MISS
    assert len(store) == 0
