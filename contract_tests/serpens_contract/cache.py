"""Contract suites of the Cache ports (``serpens.ports.Cache`` and ``AsyncCache``).

Subclass :class:`CacheContract` (sync) or :class:`AsyncCacheContract` (async), override
the one factory fixture (``open_cache`` / ``open_async_cache``: a callable
``namespace -> cache`` whose caches with different namespaces do not see each other's
keys), and declare :class:`CacheCapabilities`. Implementations that take a clock
should use the suite's ``clock`` fixture and declare ``clock="injected"``: expiry is
then tested to the exact boundary without sleeping. Expiry is also tested on every
cell in real time (set restarts the TTL, ``get_or_set`` stores with the TTL it is given,
the default TTL expires), each with one short wait sized by ``ttl_resolution``;
injected-clock cells advance their clock instead. Two optional fixtures open more
tests: ``open_cache_with_default_ttl`` (``(namespace, default_ttl) -> cache``) and,
with ``outage`` declared, ``open_unreachable_cache`` (a cache whose backend cannot be
reached: fail-open caches miss and never raise, strict ones raise
``BackendUnavailableError``/``BackendTimeoutError``). The suite clears and closes
(``close``/``aclose``) every cache it opened.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

import pytest

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        invariant,
        precondition,
        rule,
        run_state_machine_as_test,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryCache
from serpens.ports import AsyncCache, Cache, JSONValue
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.differential import observe
from serpens_contract.outage import CacheOutageCases
from serpens_contract.settings import hypothesis_settings

__all__ = [
    "AsyncCacheContract",
    "AsyncCacheView",
    "CacheCapabilities",
    "CacheContract",
    "ManualClock",
]


@dataclass(frozen=True)
class CacheCapabilities:
    """Honest differences between caches.

    Attributes:
        clock: ``"injected"`` when the cache reads time from the suite's ``clock``
            fixture; ``"real"`` when time is the server's or the process's own.
        ttl_resolution: the smallest TTL step in seconds the cache honours
            (Redis ``PX``: 0.001; a store with whole-second TTLs: 1.0).
        outage: what the cache does when its backend is unreachable: ``"fail_open"``
            (misses, no-ops, never raises) or ``"strict"`` (typed backend errors);
            ``None`` (in-process caches) runs no outage test. Declaring it requires the
            ``open_unreachable_cache`` fixture.
        api_values: the cache also takes ``Decimal``, ``date``, ``datetime`` and
            ``UUID`` and stores them in the JSON form the API gives them, as serpens'
            caches do (beyond the port's JSON values, so a third party opts in).
    """

    clock: Literal["injected", "real"] = "real"
    ttl_resolution: float = 1.0
    outage: Literal["fail_open", "strict"] | None = None
    api_values: bool = False


register_capability(
    "cache",
    "injected_clock",
    lambda c: c.clock == "injected",
    "expiry follows the suite's ManualClock (boundaries tested without sleeping)",
)
register_capability(
    "cache",
    "subsecond_ttl",
    lambda c: c.clock == "real" and c.ttl_resolution <= 0.01,
    "real-clock TTLs of a fraction of a second are honoured (tested with one short wait)",
)


register_capability(
    "cache",
    "api_values",
    lambda c: c.api_values,
    "Decimal, date, datetime and UUID are stored in their API JSON form",
)
register_capability(
    "cache",
    "fails_open",
    lambda c: c.outage == "fail_open",
    "an unreachable backend reads as misses; writes and deletes do nothing; never raises",
)
register_capability(
    "cache",
    "strict_outage",
    lambda c: c.outage == "strict",
    "an unreachable backend raises BackendUnavailableError / BackendTimeoutError",
)


class ManualClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by *seconds*."""
        self.now += seconds


class AsyncCacheView:
    """A synchronous :class:`~serpens.ports.Cache` view of an async cache on one runner."""

    def __init__(self, target: AsyncCache, runner: asyncio.Runner) -> None:
        self.target = target
        self.runner = runner

    def get(self, key: str) -> JSONValue:
        return self.runner.run(self.target.get(key))

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        self.runner.run(self.target.set(key, value, ttl=ttl))

    def delete(self, key: str) -> bool:
        return self.runner.run(self.target.delete(key))

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        async def produce() -> JSONValue:
            return factory()

        return self.runner.run(self.target.get_or_set(key, produce, ttl=ttl))

    def clear(self) -> None:
        self.runner.run(self.target.clear())

    def close(self) -> None:
        """Close the target (``aclose``) if it has a close method."""
        aclose = getattr(self.target, "aclose", None)
        if aclose is not None:
            self.runner.run(aclose())


CacheMaker = Callable[[str], Cache]


def _namespace() -> str:
    return f"c{uuid.uuid4().hex[:12]}"


class _Unserialisable:
    def __repr__(self) -> str:
        return "<unserialisable>"


def _containing_itself(size: int) -> list[Any]:
    """A list of *size* items whose last item is a dict holding the list itself."""
    value: list[Any] = list(range(size - 1))
    value.append({"parent": value})
    return value


def _nested(depth: int, *bottom: Any) -> list[Any]:
    """A list nested *depth* levels deep (past any recursion limit JSON encoders have).

    The innermost list holds *bottom* (nothing by default).
    """
    value: list[Any] = list(bottom)
    for _ in range(depth):
        value = [value]
    return value


def _records_with(bad: Any, *, beside: Any = None) -> list[Any]:
    """Twenty records of mixed JSON values, the last holding *bad* deep inside.

    Large enough that no encoder takes a small-value shortcut: the bad part sits among
    plain leaves and containers (and *beside*, if given), where a check that inspects
    only some levels or only exact dicts would miss it.
    """
    records: list[Any] = [
        {"id": i, "name": f"n{i}", "tags": ["a"], "dims": {"w": i}, "at": beside} for i in range(20)
    ]
    records[-1]["dims"] = {"w": 0, "more": [bad]}
    return records


class _CacheTests:
    """The example tests, written once against the sync port.

    The concrete suites provide the ``make_cache`` fixture (namespace -> sync view).
    """

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The clock implementations with ``clock="injected"`` must read."""
        return ManualClock()

    @pytest.fixture
    def cache(self, make_cache: CacheMaker) -> Cache:
        return make_cache(_namespace())

    def test_get_of_a_missing_key_returns_none(self, cache: Cache) -> None:
        """A miss returns ``None``."""
        assert cache.get("missing") is None

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(True, id="bool"),
            pytest.param(0, id="zero"),
            pytest.param(-(2**63), id="big-int"),
            pytest.param(1.5, id="float"),
            pytest.param("", id="empty-str"),
            pytest.param("ação ☃", id="unicode"),
            pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
            pytest.param([], id="empty-list"),
            pytest.param({"a": [1, {"b": None}], "c": "d"}, id="nested"),
        ],
    )
    def test_set_then_get_round_trips_json_values(self, cache: Cache, value: JSONValue) -> None:
        """Values round-trip through JSON on every implementation."""
        cache.set("k", value)
        got = cache.get("k")
        assert got == value
        assert type(got) is type(value)

    def test_tuples_come_back_as_lists(self, cache: Cache) -> None:
        """A tuple comes back as a list."""
        cache.set("k", {"t": (1, (2, 3))})  # type: ignore[dict-item]
        assert cache.get("k") == {"t": [1, [2, 3]]}

    @requires("api_values")
    @pytest.mark.parametrize("size", [1, 12], ids=["small", "large"])
    def test_api_values_are_stored_in_their_json_form(self, cache: Cache, size: int) -> None:
        """Decimal, date, datetime and UUID are stored as the API's JSON gives them.

        Read back as JSON: an exact Decimal as a number (else its string), a date or
        datetime as ISO 8601 text, a UUID as its canonical text. A small value and a
        large one take different encoding paths; both give the same.
        """
        ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
        when = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
        value = {
            "price": Decimal("19.99"),
            "count": Decimal(10),
            "exact": Decimal("0.10000000000000000001"),
            "day": date(2026, 1, 2),
            "at": when,
            "id": ident,
        }
        cache.set("k", [value] * size)  # type: ignore[list-item]
        expected = {
            "price": 19.99,
            "count": 10,
            "exact": "0.10000000000000000001",
            "day": "2026-01-02",
            "at": "2026-01-02T03:04:05.600000+00:00",
            "id": "12345678-1234-5678-1234-567812345678",
        }
        assert cache.get("k") == [expected] * size
        assert cache.get_or_set("other", lambda: [value] * size) == [expected] * size  # type: ignore[list-item]

    @requires("api_values")
    @pytest.mark.parametrize("size", [1, 12], ids=["small", "large"])
    @pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_a_non_finite_decimal_raises_and_stores_nothing(
        self, cache: Cache, size: int, bad: str
    ) -> None:
        """A Decimal with no JSON number (NaN, infinities) is a SerializationError."""
        value: list[Any] = [1] * (size - 1) + [Decimal(bad)]
        with pytest.raises(SerializationError):
            cache.set("k", value)
        assert cache.get("k") is None

    def test_set_replaces_the_previous_value(self, cache: Cache) -> None:
        cache.set("k", 1)
        cache.set("k", "two")
        assert cache.get("k") == "two"

    def test_delete_reports_whether_a_live_entry_was_removed(self, cache: Cache) -> None:
        """``delete`` returns whether a live entry was removed."""
        cache.set("k", 1)
        assert cache.delete("k") is True
        assert cache.delete("k") is False
        assert cache.get("k") is None
        assert cache.delete("never-set") is False

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(_Unserialisable(), id="object"),
            pytest.param({1: "int key"}, id="int-dict-key"),
            pytest.param(_records_with({2: "x"}), id="int-dict-key-deep"),
            pytest.param(_records_with(OrderedDict({3: "x"})), id="int-key-in-a-dict-subclass"),
            pytest.param(
                _records_with({"ok": {4: "x"}}, beside=uuid.UUID(int=1)), id="int-key-beside-uuids"
            ),
            pytest.param(_nested(205, {5: "x"}), id="int-dict-key-205-levels-down"),
            pytest.param(float("nan"), id="nan"),
            pytest.param([float("inf")], id="inf"),
            pytest.param({"when": b"bytes"}, id="bytes"),
            pytest.param({1, 2}, id="set"),
            pytest.param(_containing_itself(1), id="cycle-small"),
            pytest.param(_containing_itself(40), id="cycle-large"),
            pytest.param(_nested(100_000), id="too-deep"),
        ],
    )
    def test_a_non_json_value_raises_and_stores_nothing(self, cache: Cache, value: Any) -> None:
        """A value that cannot be encoded raises SerializationError and stores nothing."""
        cache.set("k", "kept")
        with pytest.raises(SerializationError):
            cache.set("k", value)
        assert cache.get("k") == "kept"
        with pytest.raises(SerializationError):
            cache.get_or_set("other", lambda: value)
        assert cache.get("other") is None

    @pytest.mark.parametrize(
        "ttl", [0, -1, float("nan"), float("inf"), True, "60", 2**62 / 1000 * 1.01]
    )
    def test_a_non_positive_ttl_is_a_validation_error(self, cache: Cache, ttl: float) -> None:
        """``ttl <= 0``, not finite, or not a number (``True`` and ``"60"`` too) raises.

        So does one past 2^62 milliseconds (about 146 million years): Redis refuses an
        expiry that, added to its clock, passes 2^63 - 1 milliseconds.
        """
        with pytest.raises(ValidationError):
            cache.set("k", 1, ttl=ttl)
        with pytest.raises(ValidationError):
            cache.get_or_set("k", lambda: 1, ttl=ttl)
        assert cache.get("k") is None

    def test_get_or_set_checks_its_ttl_on_a_hit_too(self, cache: Cache) -> None:
        """A bad ``ttl`` is a ValidationError even when the key is cached: input is checked first.

        The factory is not called and the cached value is left as it was.
        """
        cache.set("k", "cached", ttl=60)
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return "fresh"

        for ttl in (0, -1.5):
            with pytest.raises(ValidationError):
                cache.get_or_set("k", factory, ttl=ttl)
        assert calls == []
        assert cache.get("k") == "cached"

    def test_an_empty_key_is_a_validation_error(self, cache: Cache) -> None:
        """Keys are non-empty strings with a UTF-8 form (a lone surrogate has none)."""
        for key in ("", "lone \ud800"):
            with pytest.raises(ValidationError):
                cache.set(key, 1)
            with pytest.raises(ValidationError):
                cache.get(key)
            with pytest.raises(ValidationError):
                cache.delete(key)

    def test_the_longest_ttl_keeps_the_entry(self, cache: Cache) -> None:
        """A TTL of exactly 2^62 milliseconds is accepted."""
        cache.set("k", 1, ttl=2**62 / 1000)
        assert cache.get("k") == 1
        assert cache.get_or_set("k", lambda: 2, ttl=2**62 / 1000) == 1

    def test_get_or_set_calls_the_factory_once_then_hits(self, cache: Cache) -> None:
        """On a miss the factory's result is stored and returned; later calls hit."""
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return {"n": len(calls), "t": (1, 2)}  # type: ignore[dict-item]

        first = cache.get_or_set("k", factory, ttl=60)
        second = cache.get_or_set("k", factory, ttl=60)
        assert first == second == {"n": 1, "t": [1, 2]}
        assert len(calls) == 1
        assert cache.get("k") == first

    def test_get_or_set_does_not_store_none(self, cache: Cache) -> None:
        """A ``None`` result is returned but not stored: the next call asks again."""
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return None

        assert cache.get_or_set("k", factory) is None
        assert cache.get_or_set("k", factory) is None
        assert len(calls) == 2

    def test_get_or_set_over_a_stored_null_calls_the_factory(self, cache: Cache) -> None:
        """A stored JSON ``null`` is a miss for ``get_or_set`` too: the factory fills it."""
        cache.set("k", None)
        assert cache.get_or_set("k", lambda: "made", ttl=60) == "made"
        assert cache.get("k") == "made"

    def test_get_or_set_propagates_factory_errors_and_stores_nothing(self, cache: Cache) -> None:
        def factory() -> JSONValue:
            raise LookupError("upstream is down")

        with pytest.raises(LookupError):
            cache.get_or_set("k", factory)
        assert cache.get("k") is None

    def test_returned_values_are_copies(self, cache: Cache) -> None:
        value: Any = {"items": [1]}
        cache.set("k", value)
        value["items"].append(2)
        got: Any = cache.get("k")
        got["items"].append(3)
        assert cache.get("k") == {"items": [1]}

    def test_clear_removes_only_this_namespace(self, make_cache: CacheMaker) -> None:
        """``clear()`` removes only this cache's namespace."""
        mine, theirs = make_cache(_namespace()), make_cache(_namespace())
        mine.set("k", "mine")
        mine.set("j", "mine")
        theirs.set("k", "theirs")
        mine.clear()
        assert mine.get("k") is None
        assert mine.get("j") is None
        assert theirs.get("k") == "theirs"

    def test_clear_reads_pattern_characters_in_the_namespace_literally(
        self, make_cache: CacheMaker
    ) -> None:
        r"""``clear()`` of a namespace holding ``*``, ``?``, ``[]`` or ``\`` removes only it.

        A backend that deletes by key pattern must escape the namespace: ``a*`` is not
        "every namespace that starts with a".
        """
        base = _namespace()
        pairs = [("*", "x"), ("?", "y"), ("[xz]", "x"), ("\\x", "x")]
        for mine_suffix, their_suffix in pairs:
            mine = make_cache(base + mine_suffix)
            theirs = make_cache(base + their_suffix)
            mine.set("k", "mine")
            theirs.set("k", "theirs")
            mine.clear()
            assert mine.get("k") is None
            assert theirs.get("k") == "theirs", f"clear() of {base + mine_suffix!r}"
            theirs.clear()

    def test_a_default_ttl_keeps_the_entry(self, cache: Cache) -> None:
        """``ttl=None`` uses the implementation's default TTL (not "expire at once")."""
        cache.set("k", 1)
        assert cache.get("k") == 1

    @requires("injected_clock")
    def test_an_entry_is_visible_strictly_before_its_ttl(
        self, cache: Cache, clock: ManualClock
    ) -> None:
        """An entry is visible strictly before ``set_time + ttl`` and gone from then on."""
        cache.set("k", 1, ttl=10)
        clock.advance(9.5)
        assert cache.get("k") == 1
        clock.advance(0.5)
        assert cache.get("k") is None
        assert cache.delete("k") is False

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
        cache.set("k", 1, ttl=0.15)
        cache.set("long", 1, ttl=60)
        assert cache.get("k") == 1
        time.sleep(0.3)
        assert cache.get("k") is None
        assert cache.delete("k") is False
        assert cache.get("long") == 1

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

    @requires("fails_open")
    def test_an_unreachable_backend_reads_as_misses_and_never_raises(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Fail-open: reads miss, writes and deletes do nothing, get_or_set calls through."""
        cache = make_unreachable_cache(_namespace())
        assert cache.get("k") is None
        cache.set("k", 1, ttl=60)
        assert cache.get("k") is None
        assert cache.delete("k") is False
        assert cache.get_or_set("k", lambda: "computed", ttl=60) == "computed"
        assert cache.get_or_set("k", lambda: "again", ttl=60) == "again"
        cache.clear()

    @requires("strict_outage")
    def test_an_unreachable_backend_raises_typed_errors(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Strict: every operation raises a typed backend error; the factory is not called."""
        cache = make_unreachable_cache(_namespace())
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return 1

        operations: list[Callable[[], object]] = [
            lambda: cache.get("k"),
            lambda: cache.set("k", 1, ttl=60),
            lambda: cache.delete("k"),
            lambda: cache.get_or_set("k", factory, ttl=60),
        ]
        for operation in operations:
            with pytest.raises((BackendUnavailableError, BackendTimeoutError)):
                operation()
        assert calls == []

    def test_differential_against_fake(self, make_cache: CacheMaker, clock: ManualClock) -> None:
        """Random operation sequences answer exactly like the in-memory fake."""
        capabilities: CacheCapabilities = getattr(self, "capabilities")  # noqa: B009 - on the suite
        injected = capabilities.clock == "injected"

        class Machine(_CacheMachine):
            def __init__(self) -> None:
                super().__init__(make_cache, clock if injected else None)

        run_state_machine_as_test(Machine, settings=hypothesis_settings())


class CacheContract(_CacheTests, CacheOutageCases, ContractSuite):
    """Every :class:`~serpens.ports.Cache` must pass these tests.

    Override ``open_cache`` to return a callable ``namespace -> Cache``.
    """

    contract = "cache"
    capabilities: ClassVar[CacheCapabilities] = CacheCapabilities()

    @pytest.fixture
    def open_cache(self) -> CacheMaker:
        pytest.fail("override `open_cache`: return a callable namespace -> Cache")

    @pytest.fixture
    def make_cache(self, open_cache: CacheMaker) -> Iterator[CacheMaker]:
        opened: list[Cache] = []

        def make(namespace: str) -> Cache:
            opened.append(cache := open_cache(namespace))
            return cache

        yield make
        for cache in opened:
            _dispose(cache)

    @pytest.fixture
    def open_cache_with_default_ttl(self) -> Callable[[str, float], Cache] | None:
        """Override to test default-TTL expiry: ``(namespace, default_ttl) -> Cache``."""
        return None

    @pytest.fixture
    def make_default_ttl_cache(
        self, open_cache_with_default_ttl: Callable[[str, float], Cache] | None
    ) -> Iterator[Callable[[str, float], Cache] | None]:
        if open_cache_with_default_ttl is None:
            yield None
            return
        opened: list[Cache] = []

        def make(namespace: str, default_ttl: float) -> Cache:
            opened.append(cache := open_cache_with_default_ttl(namespace, default_ttl))
            return cache

        yield make
        for cache in opened:
            _dispose(cache)

    @pytest.fixture
    def open_unreachable_cache(self) -> CacheMaker:
        """Override when ``outage`` is declared: a cache whose backend cannot be reached."""
        pytest.fail("override `open_unreachable_cache`: the suite declares an outage mode")

    @pytest.fixture
    def make_unreachable_cache(self, open_unreachable_cache: CacheMaker) -> Iterator[CacheMaker]:
        opened: list[Cache] = []

        def make(namespace: str) -> Cache:
            opened.append(cache := open_unreachable_cache(namespace))
            return cache

        yield make
        for cache in opened:
            close = getattr(cache, "close", None)
            if close is not None:
                close()


AsyncCacheMaker = Callable[[str], AsyncCache]


class AsyncCacheContract(_CacheTests, CacheOutageCases, ContractSuite):
    """Every :class:`~serpens.ports.AsyncCache` must pass these tests.

    Override ``open_async_cache`` to return a callable ``namespace -> AsyncCache``; it
    is called while the suite's event loop runs, so loop-bound clients may be created
    there. The example tests run through :class:`AsyncCacheView`; the concurrency tests
    are native.
    """

    contract = "cache"
    capabilities: ClassVar[CacheCapabilities] = CacheCapabilities()

    @pytest.fixture
    def open_async_cache(self) -> AsyncCacheMaker:
        pytest.fail("override `open_async_cache`: return a callable namespace -> AsyncCache")

    @pytest.fixture
    def runner(self) -> Iterator[asyncio.Runner]:
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def make_cache(
        self, open_async_cache: AsyncCacheMaker, runner: asyncio.Runner
    ) -> Iterator[CacheMaker]:
        opened: list[AsyncCacheView] = []

        async def create(namespace: str) -> AsyncCache:
            return open_async_cache(namespace)

        def make(namespace: str) -> Cache:
            opened.append(view := AsyncCacheView(runner.run(create(namespace)), runner))
            return view

        yield make
        for view in opened:
            _dispose(view)

    @pytest.fixture
    def open_async_cache_with_default_ttl(
        self,
    ) -> Callable[[str, float], AsyncCache] | None:
        """Override to test default-TTL expiry: ``(namespace, default_ttl) -> AsyncCache``."""
        return None

    @pytest.fixture
    def make_default_ttl_cache(
        self,
        open_async_cache_with_default_ttl: Callable[[str, float], AsyncCache] | None,
        runner: asyncio.Runner,
    ) -> Iterator[Callable[[str, float], Cache] | None]:
        opener = open_async_cache_with_default_ttl
        if opener is None:
            yield None
            return
        opened: list[AsyncCacheView] = []

        async def create(namespace: str, default_ttl: float) -> AsyncCache:
            return opener(namespace, default_ttl)

        def make(namespace: str, default_ttl: float) -> Cache:
            view = AsyncCacheView(runner.run(create(namespace, default_ttl)), runner)
            opened.append(view)
            return view

        yield make
        for view in opened:
            _dispose(view)

    @pytest.fixture
    def open_unreachable_async_cache(self) -> AsyncCacheMaker:
        """Override when ``outage`` is declared: a cache whose backend cannot be reached."""
        pytest.fail("override `open_unreachable_async_cache`: the suite declares an outage mode")

    @pytest.fixture
    def make_unreachable_cache(
        self, open_unreachable_async_cache: AsyncCacheMaker, runner: asyncio.Runner
    ) -> Iterator[CacheMaker]:
        opened: list[AsyncCacheView] = []

        async def create(namespace: str) -> AsyncCache:
            return open_unreachable_async_cache(namespace)

        def make(namespace: str) -> Cache:
            opened.append(view := AsyncCacheView(runner.run(create(namespace)), runner))
            return view

        yield make
        for view in opened:
            view.close()

    def test_concurrent_misses_call_the_factory_once(self, cache: AsyncCacheView) -> None:
        """Concurrent misses on one key call *factory* once."""
        calls: list[int] = []

        async def factory() -> JSONValue:
            calls.append(1)
            await asyncio.sleep(0.05)
            return "value"

        async def scenario() -> list[JSONValue]:
            return await asyncio.gather(
                *(cache.target.get_or_set("k", factory, ttl=60) for _ in range(20))
            )

        assert cache.runner.run(scenario()) == ["value"] * 20
        assert len(calls) == 1

    def test_concurrent_misses_on_different_keys_fill_each_key(self, cache: AsyncCacheView) -> None:
        """The single flight is per key: concurrent misses on other keys get their own fill."""
        calls: list[str] = []

        def factory(key: str) -> Callable[[], Awaitable[JSONValue]]:
            async def produce() -> JSONValue:
                calls.append(key)
                await asyncio.sleep(0.05)
                return f"value of {key}"

            return produce

        async def scenario() -> list[JSONValue]:
            keys = ["a", "b", "a", "c"]
            return await asyncio.gather(
                *(cache.target.get_or_set(key, factory(key), ttl=60) for key in keys)
            )

        assert cache.runner.run(scenario()) == [
            "value of a",
            "value of b",
            "value of a",
            "value of c",
        ]
        assert sorted(calls) == ["a", "b", "c"]
        assert [cache.get(key) for key in "abc"] == ["value of a", "value of b", "value of c"]

    @requires("fails_open")
    def test_an_unreachable_backend_fills_each_key_with_its_own_factory(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Fail-open: concurrent misses on different keys still get their own factory's value."""
        view = make_unreachable_cache(_namespace())
        assert isinstance(view, AsyncCacheView)
        target = view.target

        def factory(key: str) -> Callable[[], Awaitable[JSONValue]]:
            async def produce() -> JSONValue:
                await asyncio.sleep(0.05)
                return f"value of {key}"

            return produce

        async def scenario() -> list[JSONValue]:
            return await asyncio.gather(
                *(target.get_or_set(key, factory(key), ttl=60) for key in "abc")
            )

        assert view.runner.run(scenario()) == ["value of a", "value of b", "value of c"]

    def test_cancelling_the_first_caller_does_not_cancel_the_fill(
        self, cache: AsyncCacheView
    ) -> None:
        """The single flight survives the cancellation of the caller that started it."""
        calls: list[int] = []
        started = asyncio.Event()

        async def factory() -> JSONValue:
            calls.append(1)
            started.set()
            await asyncio.sleep(0.05)
            return "value"

        async def scenario() -> JSONValue:
            first = asyncio.create_task(cache.target.get_or_set("k", factory, ttl=60))
            await started.wait()
            second = asyncio.create_task(cache.target.get_or_set("k", factory, ttl=60))
            await asyncio.sleep(0.01)
            first.cancel()
            result = await second
            with pytest.raises(asyncio.CancelledError):
                await first
            return result

        assert cache.runner.run(scenario()) == "value"
        assert len(calls) == 1
        assert cache.get("k") == "value"


def _dispose(cache: Any) -> None:
    cache.clear()
    close = getattr(cache, "close", None)
    if close is not None:
        close()


_KEYS = st.sampled_from(["a", "b", "c"])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_BAD_VALUES = st.sampled_from([_Unserialisable(), {1: "x"}, float("nan"), [b"x"]])


class _CacheMachine(RuleBasedStateMachine):
    """The implementation and the fake see the same operations and must answer alike.

    With an injected clock both share it and time moves; with a real clock TTLs are far
    longer than a run, so only "not yet expired" is compared.
    """

    def __init__(self, make: CacheMaker, clock: ManualClock | None) -> None:
        super().__init__()
        self.clock = clock
        self.model = InMemoryCache(clock=clock or time.monotonic)
        self.impl = make(_namespace())

    def _both(self, call: Callable[[Cache], Any]) -> Any:
        expected = observe(call, self.model)
        actual = observe(call, self.impl)
        assert actual == expected, f"implementation {actual} != fake {expected}"
        return actual

    def _ttl(self, data: Any) -> float:
        return float(data) if self.clock is not None else 600.0 + float(data)

    @rule(key=_KEYS, value=_VALUES, ttl=st.sampled_from([1, 2, 5, 30]))
    def set(self, key: str, value: JSONValue, ttl: int) -> None:
        self._both(lambda c: c.set(key, value, ttl=self._ttl(ttl)))

    @rule(key=_KEYS, value=_BAD_VALUES)
    def set_unserialisable(self, key: str, value: Any) -> None:
        self._both(lambda c: c.set(key, value, ttl=self._ttl(5)))

    @rule(key=_KEYS)
    def get(self, key: str) -> None:
        self._both(lambda c: c.get(key))

    @rule(key=_KEYS)
    def delete(self, key: str) -> None:
        self._both(lambda c: c.delete(key))

    @rule(key=_KEYS, value=_VALUES, ttl=st.sampled_from([1, 5]))
    def get_or_set(self, key: str, value: JSONValue, ttl: int) -> None:
        def call(cache: Cache) -> tuple[JSONValue, int]:
            calls: list[int] = []

            def factory() -> JSONValue:
                calls.append(1)
                return value

            return cache.get_or_set(key, factory, ttl=self._ttl(ttl)), len(calls)

        self._both(call)

    @rule()
    def clear(self) -> None:
        self._both(lambda c: c.clear())

    @precondition(lambda self: self.clock is not None)
    @rule(seconds=st.sampled_from([0.5, 1, 2, 5]))
    def advance(self, seconds: float) -> None:
        assert self.clock is not None
        self.clock.advance(seconds)

    @invariant()
    def same_entries(self) -> None:
        for key in ("a", "b", "c"):
            self._both(lambda c, key=key: c.get(key))  # type: ignore[misc]

    def teardown(self) -> None:
        self.impl.clear()
