"""The in-process caches read ``time.monotonic`` at each use, as serpens 2.9 did.

So a test written for 2.9 that expires an entry by patching ``time.monotonic``
(``unittest.mock.patch("time.monotonic", return_value=now + ttl + 1)``) keeps working
with ``acached``, ``cached``, ``LocalCache`` and ``AsyncLocalCache``; an injected
clock still wins over the patch.
"""

from __future__ import annotations

import time
from unittest.mock import patch

from serpens.cache import AsyncLocalCache, LocalCache, acached, cached, clear_acache, clear_cache


def _later(seconds: float) -> float:
    return time.monotonic() + seconds


async def test_acached_entries_expire_when_a_patched_monotonic_passes_the_ttl() -> None:
    calls: list[str] = []

    class Repo:
        @acached("patched-monotonic-async", ttl_seconds=600)
        async def get_by_slug(self, slug: str) -> str:
            calls.append(slug)
            return slug

    repo = Repo()
    await repo.get_by_slug("a")
    with patch("time.monotonic", return_value=_later(599)):
        await repo.get_by_slug("a")  # still live
    assert calls == ["a"]
    with patch("time.monotonic", return_value=_later(601)):
        await repo.get_by_slug("a")
    assert calls == ["a", "a"]
    clear_acache("patched-monotonic-async")


def test_cached_entries_expire_when_a_patched_monotonic_passes_the_ttl() -> None:
    calls: list[int] = []

    @cached("patched-monotonic-sync", 600)
    def double(n: int) -> int:
        calls.append(n)
        return n * 2

    double(2)
    with patch("time.monotonic", return_value=_later(601)):
        double(2)
    assert calls == [2, 2]
    clear_cache("patched-monotonic-sync")


async def test_local_caches_expire_on_a_patched_monotonic() -> None:
    sync, asynchronous = LocalCache(), AsyncLocalCache()
    sync.set("k", 1, ttl=60)
    await asynchronous.set("k", 1, ttl=60)
    with patch("time.monotonic", return_value=_later(61)):
        assert sync.get("k") is None
        assert await asynchronous.get("k") is None


def test_an_injected_clock_is_used_instead_of_time_monotonic() -> None:
    now = [0.0]
    cache = LocalCache(clock=lambda: now[0])
    cache.set("k", 1, ttl=60)
    with patch("time.monotonic", return_value=_later(10**6)):
        assert cache.get("k") == 1
    now[0] = 60.0
    assert cache.get("k") is None
