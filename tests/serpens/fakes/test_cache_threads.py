"""The sync in-memory cache shared between threads: what another thread does meanwhile.

Each test makes another thread's step happen at one exact point of a call: the cache's
clock, read at that point, performs the step before answering. The old fake raised
``KeyError`` when another thread removed an expired entry between its check and its
removal, and removed a value another thread had just written over an expired one. The
last tests run real threads and tasks: the old fakes' ``get_or_set`` returned ``None``
when another caller deleted the key between the fill and the read that answered.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

import pytest

from serpens.fakes import AsyncInMemoryCache, InMemoryCache
from serpens_contract._threads import on_threads


class _Clock:
    """A manual clock that runs *meanwhile* once, at the next reading after it is armed."""

    def __init__(self) -> None:
        self.now = 0.0
        self.meanwhile: Callable[[], object] | None = None

    def __call__(self) -> float:
        step, self.meanwhile = self.meanwhile, None
        if step is not None:
            step()
        return self.now


@pytest.fixture(name="clock")
def _clock() -> _Clock:
    return _Clock()


@pytest.fixture(name="cache")
def _cache(clock: _Clock) -> InMemoryCache:
    return InMemoryCache(clock=clock)


def test_an_expired_entry_removed_by_another_thread_meanwhile_reads_as_a_miss(
    cache: InMemoryCache, clock: _Clock
) -> None:
    cache.set("k", 1, ttl=1)
    clock.now = 5.0
    clock.meanwhile = lambda: cache.delete("k")  # as get() checks the entry's expiry
    assert cache.get("k") is None
    assert cache.keys() == []


def test_a_value_written_over_an_expired_entry_meanwhile_is_kept(
    cache: InMemoryCache, clock: _Clock
) -> None:
    cache.set("k", 1, ttl=1)
    clock.now = 5.0
    clock.meanwhile = lambda: cache.set("k", 2, ttl=60)
    assert cache.get("k") is None  # this read saw the expired entry
    assert cache.get("k") == 2  # the other thread's write survives it


def test_threads_sharing_the_fake_see_no_error_and_no_lost_fill() -> None:
    """Many threads at once on a few short-lived keys, on the real clock."""
    cache = InMemoryCache()
    lost: list[str] = []

    def hammer(writer: bool) -> None:
        for i in range(4000):
            key = f"k{i % 3}"
            if writer:
                cache.set(key, i, ttl=0.001)
                cache.get(key)
                cache.keys()
            elif cache.get_or_set(key, lambda: "v", ttl=0.001) is None:
                lost.append(key)
            else:
                cache.delete(key)

    works = [functools.partial(hammer, n % 2 == 0) for n in range(6)]
    assert (on_threads(works), lost) == ([], [])


async def test_every_async_caller_gets_the_fill_even_if_the_key_is_deleted_first() -> None:
    """Waiters resume after the fill ends: a delete scheduled by then must not empty them."""
    cache = AsyncInMemoryCache()
    gate = asyncio.Event()

    async def factory() -> str:
        await gate.wait()
        asyncio.get_running_loop().create_task(cache.delete("k"))  # runs before the waiters
        return "filled"

    calls = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*calls) == ["filled"] * 3
