"""In-process decorators: keys, expiry, eviction, single flight, buckets."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import pytest

from serpens.cache import acached, cached, clear_acache, clear_cache
from serpens.cache._decorators import _ASYNC, _SYNC, DEFAULT_MAXSIZE
from serpens.cache._store import MISS, TTLStore
from serpens.errors import ConfigurationError, ValidationError


class TestCached:
    def test_keys_do_not_depend_on_keyword_order_or_style(self) -> None:
        calls: list[tuple[int, int]] = []

        @cached("kw-order", 60)
        def add(a: int, b: int = 0) -> int:
            calls.append((a, b))
            return a + b

        assert add(1, b=2) == add(b=2, a=1) == add(1, 2) == 3
        assert calls == [(1, 2)]
        clear_cache("kw-order")

    def test_none_is_not_cached_unless_asked(self) -> None:
        calls: list[str] = []

        @cached("none", 60)
        def find(name: str) -> str | None:
            calls.append(name)
            return None

        @cached("none", 60, cache_none=True)
        def find_cached(name: str) -> str | None:
            calls.append(f"cached:{name}")
            return None

        find("a")
        find("a")
        find_cached("a")
        find_cached("a")
        assert calls == ["a", "a", "cached:a"]
        clear_cache("none")

    def test_unhashable_arguments_are_frozen_or_bypass(self) -> None:
        calls: list[object] = []

        class Opaque:
            __hash__ = None  # type: ignore[assignment]

        @cached("unhashable", 60)
        def describe(value: object) -> str:
            calls.append(value)
            return repr(value)[:10]

        describe({"a": [1, {2, 3}]})
        describe({"a": [1, {3, 2}]})
        assert len(calls) == 1
        opaque = Opaque()
        describe(opaque)
        describe(opaque)
        assert len(calls) == 3  # cannot be keyed: called every time, never crashes
        clear_cache("unhashable")

    def test_entries_expire_on_the_monotonic_clock_and_are_evicted(self) -> None:
        @cached("expiry", 0.05)
        def now(n: int) -> float:
            return time.monotonic() + n

        first = now(1)
        assert now(1) == first
        time.sleep(0.08)
        assert now(1) != first
        for n in range(2, 50):
            now(n)
        time.sleep(0.08)
        now(0)  # a write evicts every entry whose time has come
        assert len(_SYNC["expiry"]) == 1
        clear_cache("expiry")

    def test_concurrent_threads_call_the_function_once(self) -> None:
        calls: list[int] = []
        barrier = threading.Barrier(8)

        @cached("threads", 60)
        def slow(n: int) -> int:
            calls.append(n)
            time.sleep(0.05)
            return n * 2

        results: list[int] = []

        def worker() -> None:
            barrier.wait()
            results.append(slow(21))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [42] * 8
        assert calls == [21]
        clear_cache("threads")

    def test_clear_cache_empties_only_that_bucket(self) -> None:
        calls: list[str] = []

        @cached("secrets_manager", 900)
        def get(secret_id: str) -> str:
            calls.append(secret_id)
            return secret_id.upper()

        @cached("parameters", 900)
        def param(name: str) -> str:
            calls.append(name)
            return name

        get("db")
        param("p")
        clear_cache("secrets_manager")
        clear_cache("never-used")
        get("db")
        param("p")
        assert calls == ["db", "p", "db"]
        clear_cache("parameters")

    def test_misuse_is_reported_clearly(self) -> None:
        with pytest.raises(TypeError, match="acached"):

            @cached("misuse", 1)
            async def coro() -> None: ...

        for bad in (-1, float("nan"), float("inf"), "60", True):
            with pytest.raises(ValueError, match="ttl"):
                cached("misuse", bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="bucket"):
            cached("", 1)

    def test_a_ttl_of_0_turns_caching_off_as_in_2_9(self) -> None:
        """2.9 stored entries that were already expired: a TTL of 0 from configuration
        meant "no cache", not an error at import time."""
        calls: list[int] = []

        @cached("off", 0)
        def lookup(n: int) -> int | None:
            calls.append(n)
            return None if n < 0 else n * 2

        assert [lookup(1), lookup(1), lookup(-1), lookup(-1)] == [2, 2, None, None]
        assert calls == [1, 1, -1, -1]
        assert lookup.__name__ == "lookup"
        clear_cache("off")


class Repo:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[str] = []

    @acached("products", ttl_seconds=600)
    async def get_by_slug(self, slug: str) -> str:
        self.calls.append(slug)
        return f"{slug}@{self.name}"


@dataclass  # eq=True makes instances unhashable: method keys must not need self
class Service:
    calls: list[str]

    @acached("services", ttl_seconds=60)
    async def lookup(self, key: str, *, upper: bool = False) -> str:
        self.calls.append(key)
        return key.upper() if upper else key


class TestAcached:
    async def test_methods_share_entries_across_instances(self) -> None:
        one, two = Repo("one"), Repo("two")
        assert await one.get_by_slug("shoe") == "shoe@one"
        assert await two.get_by_slug("shoe") == "shoe@one"
        assert two.calls == []
        clear_acache("products")

    async def test_method_keys_never_use_self(self) -> None:
        service = Service([])
        assert await service.lookup("a", upper=True) == "A"
        assert await Service([]).lookup(upper=True, key="a") == "A"
        assert service.calls == ["a"]
        clear_acache("services")

    async def test_plain_functions_keep_their_first_argument(self) -> None:
        @acached("plain", ttl_seconds=60)
        async def double(n: int) -> int:
            return n * 2

        assert await double(1) == 2
        assert await double(2) == 4
        clear_acache("plain")

    async def test_skip_self_can_be_forced(self) -> None:
        @acached("forced", ttl_seconds=60, skip_self=True)
        async def tenant_value(tenant: str, key: str) -> str:
            return f"{tenant}:{key}"

        assert await tenant_value("a", "k") == "a:k"
        assert await tenant_value("b", "k") == "a:k"
        clear_acache("forced")

    async def test_concurrent_misses_await_one_call_that_survives_cancellation(self) -> None:
        calls: list[int] = []
        started = asyncio.Event()

        @acached("flight", ttl_seconds=60)
        async def slow(n: int) -> int:
            calls.append(n)
            started.set()
            await asyncio.sleep(0.05)
            return n + 1

        first = asyncio.create_task(slow(1))
        await started.wait()
        others = [asyncio.create_task(slow(1)) for _ in range(10)]
        first.cancel()
        assert await asyncio.gather(*others) == [2] * 10
        assert calls == [1]
        with pytest.raises(asyncio.CancelledError):
            await first
        clear_acache("flight")

    async def test_errors_reach_every_waiter_and_are_not_cached(self) -> None:
        calls: list[int] = []

        @acached("errors", ttl_seconds=60)
        async def broken() -> int:
            calls.append(1)
            await asyncio.sleep(0.01)
            raise LookupError("upstream")

        results = await asyncio.gather(broken(), broken(), return_exceptions=True)
        assert all(isinstance(r, LookupError) for r in results)
        with pytest.raises(LookupError):
            await broken()
        assert len(calls) == 2
        clear_acache("errors")

    async def test_expired_entries_are_evicted(self) -> None:
        @acached("aexpiry", ttl_seconds=0.05)
        async def ident(n: int) -> int:
            return n

        for n in range(20):
            await ident(n)
        await asyncio.sleep(0.08)
        await ident(100)
        assert len(_ASYNC["aexpiry"]) == 1
        clear_acache()
        assert len(_ASYNC["aexpiry"]) == 0

    async def test_clear_acache_by_bucket_and_all(self) -> None:
        calls: list[str] = []

        @acached("left", ttl_seconds=60)
        async def left() -> str:
            calls.append("left")
            return "l"

        @acached("right", ttl_seconds=60)
        async def right() -> str:
            calls.append("right")
            return "r"

        await left()
        await right()
        clear_acache("left")
        await left()
        await right()
        assert calls == ["left", "right", "left"]
        clear_acache()
        await right()
        assert calls[-1] == "right"


class TestTTLStore:
    def test_injected_clock_bounds_and_stale_heap_rows(self) -> None:
        now = [0.0]
        store = TTLStore(clock=lambda: now[0], max_entries=3)
        for n in range(5):
            store.set(n, n, 10)
        assert len(store) == 3
        assert store.get(0) is MISS
        for _ in range(200):
            store.set("same", 1, 10)  # overwrites leave stale heap rows, compacted
        assert len(store._heap) < 100
        now[0] = 10.0
        assert store.get("same") is MISS
        assert store.delete(4) is False  # expired: not a live entry


class TestBounds:
    """Each bucket holds at most ``maxsize`` entries, least recently used evicted first."""

    def test_cached_evicts_the_least_recently_used_beyond_maxsize(self) -> None:
        calls: list[int] = []

        @cached("bounded-sync", 60, maxsize=100)
        def square(n: int) -> int:
            calls.append(n)
            return n * n

        try:
            for n in range(100):
                square(n)
            square(0)  # 0 is now the most recently used; 1 the least
            square(1000)  # one over the bound: 1 goes
            assert len(_SYNC["bounded-sync"]) == 100
            calls.clear()
            square(0)
            square(1)
            assert calls == [1]
            for n in range(5000):
                square(n)
            assert len(_SYNC["bounded-sync"]) == 100  # memory follows the bound, not the keys
        finally:
            clear_cache("bounded-sync")

    async def test_acached_is_bounded_by_default_and_by_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        @acached("bounded-default", 60)
        async def ident(n: int) -> int:
            return n

        for n in range(DEFAULT_MAXSIZE + 50):
            await ident(n)
        assert len(_ASYNC["bounded-default"]) == DEFAULT_MAXSIZE == 10_000
        clear_acache("bounded-default")

        monkeypatch.setenv("CACHE_MAXSIZE", "20")

        @acached("bounded-env", 60)
        async def double(n: int) -> int:
            return 2 * n

        for n in range(100):
            await double(n)
        assert len(_ASYNC["bounded-env"]) == 20
        clear_acache("bounded-env")

        monkeypatch.setenv("CACHE_MAXSIZE", "0")  # 0: unbounded

        @acached("unbounded", 60)
        async def triple(n: int) -> int:
            return 3 * n

        for n in range(DEFAULT_MAXSIZE + 10):
            await triple(n)
        assert len(_ASYNC["unbounded"]) == DEFAULT_MAXSIZE + 10
        clear_acache("unbounded")

    def test_invalid_bounds_are_typed_errors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with pytest.raises(ValidationError, match="maxsize"):
            cached("bad-bound", 60, maxsize=-1)
        with pytest.raises(ValidationError, match="maxsize"):
            cached("bad-bound", 60, maxsize="3")  # type: ignore[arg-type]
        monkeypatch.setenv("CACHE_MAXSIZE", "many")
        with pytest.raises(ConfigurationError, match="CACHE_MAXSIZE"):
            cached("bad-env", 60)
        monkeypatch.setenv("CACHE_MAXSIZE", "-1")  # the variable's fault, not the call's
        with pytest.raises(ConfigurationError, match="CACHE_MAXSIZE"):
            acached("bad-env", 60)

    def test_a_shared_bucket_keeps_the_smallest_bound(self) -> None:
        @cached("shared-bound", 60, maxsize=50)
        def left(n: int) -> int:
            return n

        @cached("shared-bound", 60, maxsize=500)
        def right(n: int) -> int:
            return n

        try:
            for n in range(200):
                left(n)
                right(n)
            assert len(_SYNC["shared-bound"]) == 50
            cached("shared-bound", 60, maxsize=10)(left)  # a smaller bound applies at once
            assert (_SYNC["shared-bound"].max_entries, len(_SYNC["shared-bound"])) == (10, 10)
        finally:
            clear_cache("shared-bound")
        cached("unbounded-first", 60, maxsize=0)(left)
        cached("unbounded-first", 60, maxsize=5)(right)
        assert _SYNC["unbounded-first"].max_entries == 5
