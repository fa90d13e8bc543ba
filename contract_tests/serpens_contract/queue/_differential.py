"""The queue's differential test: random operations answer like the suite's reference model.

Holds the model (:class:`_ModelQueue`, on a model clock), the Hypothesis state machine
comparing it with the queue under test, and the test that runs it
(:class:`_QueueDifferentialCases`): the one part of the suite that needs Hypothesis.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        precondition,
        rule,
        run_state_machine_as_test,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.ports import Message, Queue
from serpens_contract.differential import again_when_stalled
from serpens_contract.queue._capabilities import QueueCapabilities
from serpens_contract.queue._support import QueueFactory
from serpens_contract.settings import hypothesis_settings

_GROUPS = st.sampled_from(["A", "B"])


class _ModelClock:
    def __init__(self) -> None:
        self.now = 1_600_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class _ModelRow:
    body: str
    group_id: str | None
    sent_at: float
    visible_at: float
    receive_count: int = 0
    receipt: str | None = None


class _ModelQueue:
    """The suite's reference model of a queue, for what the differential test does.

    Written from SQS's documented behaviour (visibility, receive counts, FIFO groups held
    back while in flight, the five-minute deduplication window), sharing no code with the
    fake or ``serpens._rules.queue``, so a failure blames the queue under test, the fake
    included. Messages are offered in send order.
    """

    def __init__(self, *, fifo: bool, clock: Callable[[], float]) -> None:
        self.fifo = fifo
        self.clock = clock
        self.rows: dict[str, _ModelRow] = {}
        self.dedup: dict[str, float] = {}
        self.receipts: dict[str, str] = {}

    def send(self, body: str, *, group_id: str | None = None, dedup_id: str | None = None) -> str:
        now = self.clock()
        if dedup_id is not None:
            seen = self.dedup.get(dedup_id)
            if seen is not None and now - seen < 300:
                return ""
            self.dedup[dedup_id] = now
        message_id = uuid.uuid4().hex
        self.rows[message_id] = _ModelRow(body, group_id, now, now)
        return message_id

    def receive(self, *, max_messages: int, visibility_timeout: int) -> list[Message]:
        now = self.clock()
        busy = {
            row.group_id
            for row in self.rows.values()
            if self.fifo and row.receipt is not None and row.visible_at > now
        }
        out: list[Message] = []
        for message_id, row in self.rows.items():
            if len(out) == max_messages:
                break
            if row.visible_at > now or (self.fifo and row.group_id in busy):
                continue
            row.receive_count += 1
            row.receipt = uuid.uuid4().hex
            row.visible_at = now + visibility_timeout
            self.receipts[row.receipt] = message_id
            out.append(
                Message(message_id, row.body, row.receipt, row.receive_count, {}, row.group_id)
            )
        return out

    def ack(self, message: Message) -> None:
        self.rows.pop(self.receipts[message.receipt], None)

    def change_visibility(self, message: Message, timeout: int) -> None:
        self.rows[self.receipts[message.receipt]].visible_at = self.clock() + timeout


@dataclass
class _Pair:
    """One queue kind: the reference model, the implementation, messages in flight in both."""

    fifo: bool
    model: _ModelQueue
    impl: Queue
    # body -> (model's delivery, implementation's delivery, model time it times out)
    in_flight: dict[str, tuple[Message, Message, float]]


class _QueueMachine(RuleBasedStateMachine):
    """Compares an implementation with the suite's reference model (on a model clock)."""

    def __init__(
        self,
        factory: QueueFactory,
        capabilities: QueueCapabilities,
        advance_clock: Callable[[float], None],
    ) -> None:
        super().__init__()
        self.capabilities = capabilities
        self.advance_clock = advance_clock
        self.clock = _ModelClock()
        namespace = f"h{uuid.uuid4().hex[:12]}"
        self.pairs = {
            fifo: _Pair(
                fifo, _ModelQueue(fifo=fifo, clock=self.clock), factory(namespace, fifo=fifo), {}
            )
            for fifo in (False, True)
        }
        self.counter = 0

    def _send(self, pair: _Pair, group: str, dedup_id: str | None) -> None:
        self.counter += 1
        body = f"m{self.counter}"
        kwargs: dict[str, Any] = {"group_id": group, "dedup_id": dedup_id} if pair.fifo else {}
        pair.model.send(body, **kwargs)
        pair.impl.send(body, **kwargs)

    @rule(fifo=st.booleans(), group=_GROUPS)
    def send(self, fifo: bool, group: str) -> None:
        self._send(self.pairs[fifo], group, None)

    @rule(group=_GROUPS, dedup=st.sampled_from(["d1", "d2"]))
    def send_fifo_with_dedup_id(self, group: str, dedup: str) -> None:
        if not self.capabilities.dedup_after_ack:
            dedup = f"{dedup}-{self.counter}"  # never reuse an acknowledged id there
        self._send(self.pairs[True], group, dedup)

    @rule(
        fifo=st.booleans(),
        max_messages=st.integers(1, 10),
        visibility=st.sampled_from([1, 30]),
    )
    def receive(self, fifo: bool, max_messages: int, visibility: int) -> None:
        if not self.capabilities.injectable_clock:
            visibility = 300  # no timeout may expire while the test runs
        pair = self.pairs[fifo]
        expected = pair.model.receive(max_messages=max_messages, visibility_timeout=visibility)
        actual = pair.impl.receive(max_messages=max_messages, visibility_timeout=visibility)
        # standard queues promise no order: compare them as sets
        key = (lambda _m: 0) if fifo else (lambda m: m.body)
        shape = [(m.body, m.receive_count, m.group_id) for m in sorted(expected, key=key)]
        got = [(m.body, m.receive_count, m.group_id) for m in sorted(actual, key=key)]
        assert got == shape, (
            f"receive({max_messages}, fifo={fifo}): the queue under test delivered {got},"
            f" the suite's reference model {shape}"
        )
        by_body = {m.body: m for m in actual}
        for message in expected:
            pair.in_flight[message.body] = (
                message,
                by_body[message.body],
                self.clock.now + visibility,
            )

    @precondition(lambda self: self.capabilities.injectable_clock)
    @rule(seconds=st.sampled_from([1, 31]))
    def advance(self, seconds: int) -> None:
        self.clock.now += seconds
        self.advance_clock(seconds)
        for pair in self.pairs.values():  # a timed-out delivery's receipt is no longer ours
            for body, (_, _, until) in list(pair.in_flight.items()):
                if until <= self.clock.now:
                    del pair.in_flight[body]
        for fifo in (False, True):  # look right away: what became visible must agree
            self.receive(fifo, 10, 30)

    def _pick(self, data: st.DataObject) -> tuple[_Pair, Message, Message]:
        pair = data.draw(st.sampled_from([p for p in self.pairs.values() if p.in_flight]))
        body = data.draw(st.sampled_from(sorted(pair.in_flight)))
        model, impl, _ = pair.in_flight.pop(body)
        return pair, model, impl

    @precondition(lambda self: any(p.in_flight for p in self.pairs.values()))
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        pair, model, impl = self._pick(data)
        pair.model.ack(model)
        pair.impl.ack(impl)

    @precondition(lambda self: any(p.in_flight for p in self.pairs.values()))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        pair, model, impl = self._pick(data)
        pair.model.change_visibility(model, 0)
        pair.impl.change_visibility(impl, 0)


class _QueueDifferentialCases:
    """The differential test: one standard and one FIFO queue per run."""

    # The suite's own, declared on QueueContract; annotated here for the type checker.
    capabilities: ClassVar[QueueCapabilities]

    def test_differential_against_fake(
        self, open_queue: QueueFactory, advance_clock: Callable[[float], None]
    ) -> None:
        """Random send/receive/ack/release sequences answer like the suite's reference model.

        The model is the suite's own, not the fake, so the fake's cells test the fake.

        One standard and one FIFO queue per run. With ``injectable_clock`` time advances
        too and visibility timeouts expire; otherwise only time-free operations run, so
        the test suits real servers.
        """
        capabilities = self.capabilities

        class Machine(_QueueMachine):
            def __init__(self) -> None:
                super().__init__(open_queue, capabilities, advance_clock)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
