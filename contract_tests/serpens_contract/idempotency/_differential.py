"""The idempotency store's differential test: random calls answer exactly like the fake.

Holds the Hypothesis state machine (:class:`_IdempotencyMachine`) and the test that runs
it (:class:`_IdempotencyDifferentialCases`), the one part of the suite that needs
Hypothesis.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

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

from serpens.fakes import InMemoryIdempotencyStore
from serpens.ports import Claim, IdempotencyStore, JSONValue, Replay
from serpens_contract.differential import Outcome, again_when_stalled, observe
from serpens_contract.idempotency._support import IdempotencyCapabilities, ManualClock
from serpens_contract.settings import hypothesis_settings

StoreMaker = Callable[[str], IdempotencyStore]

_KEYS = st.sampled_from(["a", "b", "c"])
_FINGERPRINTS = st.sampled_from(["", "x"])
_RESULTS = (
    st.none() | st.integers(-5, 5) | st.text(max_size=3) | st.lists(st.booleans(), max_size=2)
)
_BAD_RESULTS = st.sampled_from([{1, 2}, float("nan"), {"k": object()}])
# with an injected clock leases and TTLs end as time moves; on a real clock they outlast
# the run, so only "not yet expired" is compared
_SECONDS = st.sampled_from([1, 2, 5])


def _kind(outcome: Outcome) -> object:
    """What must agree: the error class, a replay's result, or that a claim was granted."""
    value = outcome.value
    if isinstance(value, Claim):
        return ("claim", value.key, value.lease)
    if isinstance(value, Replay):
        return ("replay", value.key, value.result)
    return (outcome.error, value)


class _IdempotencyMachine(RuleBasedStateMachine):
    """The store and the fake see the same calls and must answer alike.

    Claims granted on both sides are kept in pairs, so a later ``complete`` or ``release``
    hands each side its own claim (their tokens are each store's own clock).
    """

    def __init__(self, make: StoreMaker, clock: ManualClock | None) -> None:
        super().__init__()
        self.clock = clock
        self.runner = asyncio.Runner()
        self.model = InMemoryIdempotencyStore(clock=clock or time.time)
        namespace = f"d{uuid.uuid4().hex[:12]}"
        self.impl: IdempotencyStore = self.runner.run(self._open(make, namespace))
        self.held: list[tuple[Claim, Claim]] = []
        self.tokens: dict[str, int] = {}

    @staticmethod
    async def _open(make: StoreMaker, namespace: str) -> IdempotencyStore:
        return make(namespace)  # built inside the machine's loop: loop-bound clients work

    def _seconds(self, value: int) -> float:
        return float(value) if self.clock is not None else 600.0 + value

    def _both(
        self, call: Callable[[IdempotencyStore, int], Coroutine[Any, Any, Any]]
    ) -> tuple[Outcome, Outcome]:
        expected = observe(lambda: self.runner.run(call(self.model, 1)))
        actual = observe(lambda: self.runner.run(call(self.impl, 0)))
        assert _kind(actual) == _kind(expected), f"store {actual} != fake {expected}"
        return actual, expected

    @rule(key=_KEYS, fingerprint=_FINGERPRINTS, lease=_SECONDS)
    def claim(self, key: str, fingerprint: str, lease: int) -> None:
        seconds = self._seconds(lease)
        actual, expected = self._both(
            lambda store, _side: store.claim(key, lease=seconds, fingerprint=fingerprint)
        )
        if isinstance(actual.value, Claim):
            token = actual.value.token
            assert token > self.tokens.get(key, -1), f"token {token} not above the last of {key}"
            self.tokens[key] = token
            self.held.append((actual.value, expected.value))

    @precondition(lambda self: self.held)
    @rule(data=st.data(), result=_RESULTS, ttl=_SECONDS)
    def complete(self, data: st.DataObject, result: JSONValue, ttl: int) -> None:
        pair = data.draw(st.sampled_from(self.held))
        seconds = self._seconds(ttl)
        self._both(lambda store, side: store.complete(pair[side], result, ttl=seconds))

    @precondition(lambda self: self.held)
    @rule(data=st.data(), result=_BAD_RESULTS)
    def complete_with_a_refused_result(self, data: st.DataObject, result: Any) -> None:
        pair = data.draw(st.sampled_from(self.held))
        self._both(lambda store, side: store.complete(pair[side], result, ttl=60.0))

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        pair = data.draw(st.sampled_from(self.held))
        self._both(lambda store, side: store.release(pair[side]))

    @precondition(lambda self: self.clock is not None)
    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        assert self.clock is not None
        self.clock.advance(seconds)

    @invariant()
    def held_claims_stay_few(self) -> None:
        del self.held[:-6]  # older claims are stale on both sides; a few suffice

    def teardown(self) -> None:
        close = getattr(self.impl, "aclose", None)
        try:
            if close is not None:
                self.runner.run(close())
        finally:
            self.runner.close()


class _IdempotencyDifferentialCases:
    """The differential test, on three keys and two fingerprints."""

    capabilities: ClassVar[IdempotencyCapabilities]

    def test_differential_against_fake(
        self, open_idempotency_store: StoreMaker, clock: ManualClock
    ) -> None:
        """Random claims, completions and releases answer like the in-memory fake.

        With an injected clock both share it and leases and TTLs end as it moves; on a
        real clock they outlast the run.
        """
        shared = clock if self.capabilities.clock == "injected" else None

        class Machine(_IdempotencyMachine):
            def __init__(self) -> None:
                super().__init__(open_idempotency_store, shared)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
