"""The cache's differential test: random operations answer exactly like the fake.

Holds the Hypothesis state machine (:class:`_CacheMachine`, its strategies) and the
test that runs it (:class:`_CacheDifferentialCases`), the one part of the suite that
needs Hypothesis.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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

from serpens.fakes import InMemoryCache
from serpens.ports import Cache, JSONValue
from serpens_contract._clock import ManualClock
from serpens_contract.cache._capabilities import CacheCapabilities
from serpens_contract.cache._support import CacheMaker, _namespace, _Unserialisable
from serpens_contract.differential import again_when_stalled, observe
from serpens_contract.settings import hypothesis_settings

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
        self.make = make
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
        dispose = getattr(self.make, "dispose", None)
        if dispose is None:  # a make_cache a suite overrides: disposes at the test's end
            self.impl.clear()
        else:  # cleared and closed now: one example's connections open at a time
            dispose(self.impl)


class _CacheDifferentialCases:
    """The differential test, on the suite's clock when the cache takes one."""

    def test_differential_against_fake(self, make_cache: CacheMaker, clock: ManualClock) -> None:
        """Random operation sequences answer exactly like the in-memory fake."""
        capabilities: CacheCapabilities = getattr(self, "capabilities")  # noqa: B009 - on the suite
        injected = capabilities.clock == "injected"

        class Machine(_CacheMachine):
            def __init__(self) -> None:
                super().__init__(make_cache, clock if injected else None)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
