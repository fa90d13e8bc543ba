"""Cache cases about time: the default TTL, exact expiry boundaries and real-time TTLs.

One theme of :class:`~serpens_contract.cache._tests._CacheTests`. Injected-clock caches
are tested to the boundary without sleeping; every cache also expires in real time with
one short wait (the ``wait`` and ``ttl_unit`` fixtures, defined here).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from serpens.ports import Cache, JSONValue
from serpens_contract._clock import ManualClock, Window, in_windows_sync
from serpens_contract.cache._capabilities import CacheCapabilities
from serpens_contract.cache._support import _namespace
from serpens_contract.capabilities import requires


class _CacheExpiryCases:
    """Entries live for their TTL (or the default one) and are gone from then on."""

    def test_a_default_ttl_keeps_the_entry(self, cache: Cache) -> None:
        """``ttl=None`` uses the implementation's default TTL (not "expire at once")."""
        cache.set("k", 1)
        assert cache.get("k") == 1

    @requires("injected_clock")
    def test_an_entry_is_visible_strictly_before_its_ttl(
        self, cache: Cache, clock: ManualClock
    ) -> None:
        """An entry is visible strictly before ``set_time + ttl`` and gone from then on.

        Gone for ``delete`` too, on an entry nothing read since it expired.
        """
        cache.set("k", 1, ttl=10)
        cache.set("unread", 1, ttl=10)
        clock.advance(9.5)
        assert cache.get("k") == 1
        clock.advance(0.5)
        assert cache.delete("unread") is False
        assert cache.get("k") is None
        assert cache.delete("k") is False

    @requires("millisecond_ttl")
    def test_a_ttl_counts_in_whole_milliseconds(self, cache: Cache, clock: ManualClock) -> None:
        """A TTL is kept to the nearest millisecond, and is at least one, as Redis keeps it.

        So ``ttl=1e-9`` keeps the entry for 1 ms (never "expire at once") and 1.5 ms for 2.
        """
        cache.set("tiny", 1, ttl=1e-9)
        cache.set("half", 1, ttl=0.0015)
        cache.get_or_set("filled", lambda: 1, ttl=0.0004)
        clock.advance(0.0009)
        assert [cache.get(k) for k in ("tiny", "half", "filled")] == [1, 1, 1]
        clock.advance(0.0002)  # 1.1 ms
        assert [cache.get(k) for k in ("tiny", "half", "filled")] == [None, 1, None]
        clock.advance(0.001)  # 2.1 ms
        assert cache.get("half") is None

    @requires("injected_clock")
    def test_set_restarts_the_ttl(self, cache: Cache, clock: ManualClock) -> None:
        cache.set("k", 1, ttl=5)
        clock.advance(4)
        cache.set("k", 2, ttl=5)
        clock.advance(4)
        assert cache.get("k") == 2

    @requires("injected_clock")
    def test_get_or_set_calls_the_factory_again_after_expiry(
        self, cache: Cache, clock: ManualClock
    ) -> None:
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return len(calls)

        assert cache.get_or_set("k", factory, ttl=1) == 1
        clock.advance(1)
        assert cache.get_or_set("k", factory, ttl=1) == 2

    @requires("subsecond_ttl")
    def test_a_subsecond_ttl_expires_in_real_time(self, cache: Cache) -> None:
        """Sub-second TTLs are honoured (one short real wait)."""

        def attempt(window: Window) -> None:
            key = f"k{window.unit:g}"
            with window:
                cache.set(key, 1, ttl=window.unit)
                cache.set("long", 1, ttl=60)
                assert cache.get(key) == 1
            time.sleep(2 * window.unit)
            assert cache.get(key) is None
            assert cache.delete(key) is False
            assert cache.get("long") == 1

        in_windows_sync(attempt, 0.15, real=True)

    @pytest.fixture
    def wait(self, clock: ManualClock) -> Callable[[float], None]:
        """Let *seconds* pass: the injected clock advances, real time is slept."""
        capabilities: CacheCapabilities = getattr(self, "capabilities")  # noqa: B009 - on the suite
        return clock.advance if capabilities.clock == "injected" else time.sleep

    @pytest.fixture
    def ttl_unit(self) -> float:
        """A short TTL the cache honours: 1 s of the injected clock, else >= 0.2 s real."""
        capabilities: CacheCapabilities = getattr(self, "capabilities")  # noqa: B009 - on the suite
        return 1.0 if capabilities.clock == "injected" else max(0.2, capabilities.ttl_resolution)

    def test_set_restarts_the_ttl_with_the_new_one(
        self, cache: Cache, wait: Callable[[float], None], ttl_unit: float
    ) -> None:
        """A ``set`` replaces the entry's TTL, both longer and shorter (one short wait)."""
        cache.set("longer", 1, ttl=ttl_unit)
        cache.set("longer", 2, ttl=120)
        cache.set("shorter", 1, ttl=120)
        cache.set("shorter", 2, ttl=ttl_unit)
        wait(2 * ttl_unit)
        assert cache.get("longer") == 2
        assert cache.get("shorter") is None

    def test_get_or_set_stores_with_the_ttl_it_is_given(
        self, cache: Cache, wait: Callable[[float], None], ttl_unit: float
    ) -> None:
        """``get_or_set(ttl=...)`` stores for that TTL, not the default (one short wait)."""
        calls: list[str] = []

        def factory(name: str) -> Callable[[], JSONValue]:
            def produce() -> JSONValue:
                calls.append(name)
                return len(calls)

            return produce

        assert cache.get_or_set("short", factory("short"), ttl=ttl_unit) == 1
        assert cache.get_or_set("long", factory("long"), ttl=120) == 2
        wait(2 * ttl_unit)
        assert cache.get("short") is None
        assert cache.get_or_set("short", factory("short"), ttl=ttl_unit) == 3
        assert cache.get_or_set("long", factory("long"), ttl=120) == 2
        assert calls == ["short", "long", "short"]

    def test_the_default_ttl_expires(
        self,
        make_default_ttl_cache: Callable[[str, float], Cache] | None,
        wait: Callable[[float], None],
        ttl_unit: float,
    ) -> None:
        """``ttl=None`` stores for the default TTL, and then the entry is gone."""
        if make_default_ttl_cache is None:
            pytest.skip("the suite defines no open_cache_with_default_ttl fixture")
        cache = make_default_ttl_cache(_namespace(), ttl_unit)
        cache.set("k", 1)
        assert cache.get_or_set("g", lambda: 2) == 2
        cache.set("long", 3, ttl=120)
        wait(2 * ttl_unit)
        assert cache.get("k") is None
        assert cache.get("g") is None
        assert cache.get("long") == 3
