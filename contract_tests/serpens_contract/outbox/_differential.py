"""The outbox's differential test: random units of work and claims answer like the fake.

Holds the Hypothesis state machine (:class:`_OutboxMachine`) and the test that runs it
(:class:`_OutboxDifferentialCases`), the one part of the suite that needs Hypothesis.
Every example starts on an empty outbox: the machine settles what it left behind when
it ends (its claims hold, and on a real clock its retries are due at once).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine, Sequence
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

from serpens.fakes import InMemoryDatabase, InMemoryOutbox, InMemoryOutboxStore, InMemorySession
from serpens.ports import OutboxMessage, OutboxStore
from serpens_contract.differential import Outcome, again_when_stalled, observe
from serpens_contract.outbox._support import (
    TOPIC,
    ManualClock,
    OutboxCapabilities,
    StoreMaker,
    UnitMaker,
    settle,
)
from serpens_contract.settings import hypothesis_settings

_KEYS = st.sampled_from([None, None, "a", "b"])
_DAY = 86_400.0


def _seen(messages: Sequence[OutboxMessage]) -> list[tuple[bytes, str | None, int]]:
    """What must agree of claimed messages: payload, ordering key and attempts, in order."""
    return [(m.payload, m.ordering_key, m.attempts) for m in messages]


class _OutboxMachine(RuleBasedStateMachine):
    """The outbox and the fake see the same units of work and calls and must answer alike.

    Payloads are unique, so a message is known by its payload on both sides; claims
    granted on both sides are kept in pairs, so a later settlement hands each side its own.
    """

    def __init__(self, units: UnitMaker, stores: StoreMaker, clock: ManualClock | None) -> None:
        super().__init__()
        self.clock = clock
        self.units = units
        self.runner = asyncio.Runner()
        self.database = InMemoryDatabase()
        self.model = InMemoryOutboxStore(self.database, clock=clock or time.time)
        self.impl: OutboxStore = self.runner.run(self._open(stores))
        self.held: dict[bytes, tuple[OutboxMessage, OutboxMessage]] = {}
        self.claims: list[OutboxMessage] = []  # every claim of the outbox, for the teardown
        self.names = (f"m{n}".encode() for n in itertools.count())

    @staticmethod
    async def _open(stores: StoreMaker) -> OutboxStore:
        return stores()  # built inside the machine's loop: loop-bound clients work

    def _seconds(self, value: float) -> float:
        return value if self.clock is not None else 600.0 + value

    def _both(
        self, call: Callable[[OutboxStore, int], Coroutine[Any, Any, Any]]
    ) -> tuple[Outcome, Outcome]:
        expected = observe(lambda: self.runner.run(call(self.model, 1)))
        actual = observe(lambda: self.runner.run(call(self.impl, 0)))
        assert actual.error == expected.error, f"outbox {actual} != fake {expected}"
        return actual, expected

    async def _stage(self, messages: list[tuple[bytes, str | None]], *, commit: bool) -> None:
        async with self.units() as work:
            for payload, key in messages:
                work.outbox.put(TOPIC, payload, ordering_key=key)
            await settle(work.commit() if commit else work.rollback())
        with InMemorySession(self.database) as session:
            outbox = InMemoryOutbox(session)
            for payload, key in messages:
                outbox.put(TOPIC, payload, ordering_key=key)
            if commit:
                session.commit()

    @rule(keys=st.lists(_KEYS, min_size=1, max_size=3), commit=st.booleans())
    def stage(self, keys: list[str | None], commit: bool) -> None:
        messages = [(next(self.names), key) for key in keys]
        self.runner.run(self._stage(messages, commit=commit))

    @rule(limit=st.integers(1, 4), lease=st.sampled_from([1.0, 2.0, 5.0]))
    def claim(self, limit: int, lease: float) -> None:
        seconds = self._seconds(lease)
        actual, expected = self._both(lambda store, _: store.claim(limit=limit, lease=seconds))
        if actual.error is None:
            assert _seen(actual.value) == _seen(expected.value), "claims differ"
            for ours, model in zip(actual.value, expected.value, strict=True):
                self.held[ours.payload] = (ours, model)
            self.claims += actual.value

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def delivered(self, data: st.DataObject) -> None:
        pair = self.held[data.draw(st.sampled_from(sorted(self.held)))]
        self._both(lambda store, side: store.delivered(pair[side]))

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def delivered_many(self, data: st.DataObject) -> None:
        picked = data.draw(st.lists(st.sampled_from(sorted(self.held)), max_size=4))
        pairs = [self.held[payload] for payload in picked]
        actual, expected = self._both(
            lambda store, side: store.delivered_many([pair[side] for pair in pairs])
        )
        if actual.error is None:
            assert _seen(actual.value) == _seen(expected.value), "late claims differ"

    @precondition(lambda self: self.held)
    @rule(data=st.data(), after=st.sampled_from([0.0, 1.0, 3.0]))
    def retry(self, data: st.DataObject, after: float) -> None:
        pair = self.held[data.draw(st.sampled_from(sorted(self.held)))]
        delay = after if self.clock is not None else 0.0  # a real clock waits for nothing
        self._both(lambda store, side: store.retry(pair[side], after=delay))

    @rule()
    def pending(self) -> None:
        actual, expected = self._both(lambda store, _: store.pending())
        assert actual.value == expected.value, f"outbox {actual.value} != fake {expected.value}"

    @precondition(lambda self: self.clock is not None)
    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        assert self.clock is not None
        self.clock.advance(seconds)

    @invariant()
    def held_claims_stay_few(self) -> None:
        for payload in list(self.held)[:-8]:  # older claims: a few suffice
            del self.held[payload]

    async def _empty(self) -> None:
        """Deliver every message left, so the next example starts on an empty outbox."""
        if self.clock is not None:
            self.clock.advance(_DAY)  # every lease and delay has ended
        else:  # the run's leases hold: settle its claims (the ones that still hold)
            for start in range(0, len(self.claims), 1000):
                await self.impl.delivered_many(self.claims[start : start + 1000])
        for _ in range(10_000):
            left = await self.impl.claim(limit=1000, lease=600.0)
            if not left:
                break
            await self.impl.delivered_many(left)
        assert await self.impl.pending() == 0, "messages left held by a claim of the run"

    def teardown(self) -> None:
        try:
            self.runner.run(self._empty())
        finally:
            self.runner.close()


class _OutboxDifferentialCases:
    """The differential test, on two ordering keys and messages without one."""

    capabilities: ClassVar[OutboxCapabilities]

    def test_differential_against_fake(
        self, open_outbox_unit: UnitMaker, open_outbox_store: StoreMaker, clock: ManualClock
    ) -> None:
        """Random units of work, claims and settlements answer like the in-memory fake.

        With an injected clock both share it and leases and delays end as it moves; on a
        real clock leases outlast the run and retries are due at once.
        """
        shared = clock if self.capabilities.clock == "injected" else None

        class Machine(_OutboxMachine):
            def __init__(self) -> None:
                super().__init__(open_outbox_unit, open_outbox_store, shared)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
