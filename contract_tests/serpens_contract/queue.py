"""Contract suites of the Queue and AsyncQueue ports (``serpens.ports.Queue``)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, ClassVar, Protocol

import pytest

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

from serpens.errors import NotFoundError, ValidationError
from serpens.ports import AsyncQueue, Message, Queue
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.outage import QueueOutageCases
from serpens_contract.runner import SyncDriver
from serpens_contract.settings import hypothesis_settings

__all__ = [
    "AsyncContentBasedFifoFactory",
    "AsyncQueueContract",
    "AsyncQueueFactory",
    "ContentBasedFifoFactory",
    "QueueCapabilities",
    "QueueContract",
    "QueueFactory",
]


class QueueFactory(Protocol):
    """``(namespace, fifo) -> Queue``: a new, empty queue per call."""

    def __call__(self, namespace: str, fifo: bool) -> Queue: ...


class AsyncQueueFactory(Protocol):
    """``(namespace, fifo) -> AsyncQueue``: a new, empty queue per call."""

    def __call__(self, namespace: str, fifo: bool) -> AsyncQueue: ...


class ContentBasedFifoFactory(Protocol):
    """``namespace -> Queue``: a new, empty FIFO queue that deduplicates by body."""

    def __call__(self, namespace: str) -> Queue: ...


class AsyncContentBasedFifoFactory(Protocol):
    """``namespace -> AsyncQueue``: a new, empty FIFO queue that deduplicates by body."""

    def __call__(self, namespace: str) -> AsyncQueue: ...


@dataclass(frozen=True)
class QueueCapabilities:
    """Honest differences between queue implementations.

    Attributes:
        dedup_after_ack: a FIFO ``dedup_id`` stays remembered for the whole five-minute
            window even after its message was acknowledged (SQS does; moto forgets it).
        fifo_redelivery_order: when several in-flight messages of one FIFO group time
            out, they are redelivered in send order (SQS does; moto can hand the later
            one over first).
        injectable_clock: ``advance_clock`` moves the implementation's clock without
            sleeping, so the differential test also advances time and lets visibility
            timeouts expire (the fakes; real servers keep a time-free differential).
        duplicate_answers_original_id: a send deduplicated within the window returns the
            id of the message first enqueued with that ``dedup_id`` (SQS does; moto
            answers with a new id that no message has).
        content_based_dedup: the implementation can open FIFO queues that deduplicate a
            send without ``dedup_id`` by its body (SQS's ``ContentBasedDeduplication``);
            the suite opens them with the ``open_content_based_fifo`` fixture. Off by
            default: an optional feature, not every queue has it.
    """

    dedup_after_ack: bool = True
    duplicate_answers_original_id: bool = True
    fifo_redelivery_order: bool = True
    injectable_clock: bool = False
    content_based_dedup: bool = False


register_capability(
    "queue",
    "dedup_after_ack",
    lambda c: c.dedup_after_ack,
    "FIFO deduplication ids outlive acknowledgement for the 5-minute window",
)
register_capability(
    "queue",
    "duplicate_answers_original_id",
    lambda c: c.duplicate_answers_original_id,
    "a deduplicated send returns the original message's id",
)
register_capability(
    "queue",
    "content_based_dedup",
    lambda c: c.content_based_dedup,
    "FIFO queues can deduplicate by body (content-based deduplication)",
)
register_capability(
    "queue",
    "fifo_redelivery_order",
    lambda c: c.fifo_redelivery_order,
    "timed-out messages of a FIFO group are redelivered in send order",
)


class _Kind(StrEnum):
    ORDER = "order"


class _OldKind(str, Enum):  # noqa: UP042 - the pre-3.11 spelling, str() is not its value
    PAID = "paid"


class _Count(int, Enum):  # the pre-3.11 spelling, str() is not its value
    TWO = 2


_PAUSE = 1.1  # past a 1-second visibility timeout or delay


def _bodies(messages: Any) -> list[str]:
    return [m.body for m in messages]


def _receive_while_time_passes(
    queue: Queue, advance_clock: Callable[[float], None], *, visibility_timeout: int
) -> list[Message]:
    """A 5-second long poll for one message, while another thread moves time past 1 s."""

    def later() -> None:
        time.sleep(0.2)  # the receive is waiting by now
        advance_clock(_PAUSE)

    mover = threading.Thread(target=later)
    mover.start()
    try:
        return list(
            queue.receive(max_messages=1, wait_seconds=5, visibility_timeout=visibility_timeout)
        )
    finally:
        mover.join()


class QueueContract(QueueOutageCases, ContractSuite):
    """Every Queue must pass these tests.

    Override ``open_queue`` to return a callable ``(namespace, fifo) -> Queue`` giving
    a new empty queue per call. Override ``advance_clock`` (``seconds -> None``) when
    the implementation takes an injectable clock; by default it sleeps for real. An
    implementation declaring ``content_based_dedup`` overrides ``open_content_based_fifo``
    (``namespace -> Queue``, a FIFO queue deduplicating by body) as well.
    """

    contract = "queue"
    capabilities: ClassVar[QueueCapabilities] = QueueCapabilities()

    @pytest.fixture
    def open_queue(self) -> QueueFactory:
        pytest.fail("override `open_queue`: return a callable (namespace, fifo) -> queue")

    @pytest.fixture
    def advance_clock(self) -> Callable[[float], None]:
        return time.sleep

    @pytest.fixture
    def open_content_based_fifo(self) -> ContentBasedFifoFactory:
        pytest.fail(
            "override `open_content_based_fifo`: return a callable namespace -> FIFO queue"
            " deduplicating by body, or leave the content_based_dedup capability off"
        )

    @pytest.fixture
    def queue(self, open_queue: QueueFactory) -> Queue:
        return open_queue(f"q{uuid.uuid4().hex[:12]}", fifo=False)

    @pytest.fixture
    def fifo(self, open_queue: QueueFactory) -> Queue:
        return open_queue(f"q{uuid.uuid4().hex[:12]}", fifo=True)

    def test_send_and_receive_round_trip_body_attributes_and_metadata(self, queue: Queue) -> None:
        first = queue.send('{"order": 1}', attributes={"kind": "order", "n": "7"})
        second = queue.send("plain text")
        assert first != second
        got = {m.body: m for m in queue.receive(max_messages=10, visibility_timeout=30)}
        got.update({m.body: m for m in queue.receive(max_messages=10, visibility_timeout=30)})
        message = got['{"order": 1}']
        assert message.id == first
        assert dict(message.attributes) == {"kind": "order", "n": "7"}
        assert message.receive_count == 1
        assert message.group_id is None
        assert message.sent_at is not None
        assert message.sent_at.utcoffset() == UTC.utcoffset(None)
        if not self.capabilities.injectable_clock:  # on the real clock, it was sent just now
            assert abs(message.sent_at.timestamp() - time.time()) < 60
        assert got["plain text"].id == second
        assert dict(got["plain text"].attributes) == {}

    def test_receive_on_an_empty_queue_returns_nothing(self, queue: Queue) -> None:
        assert list(queue.receive(max_messages=10)) == []

    def test_receive_waits_up_to_wait_seconds_and_a_visible_message_ends_the_wait(
        self, queue: Queue
    ) -> None:
        start = time.monotonic()
        assert list(queue.receive(wait_seconds=1)) == []
        assert time.monotonic() - start >= 0.9
        queue.send("here")
        start = time.monotonic()
        assert _bodies(queue.receive(wait_seconds=5)) == ["here"]
        assert time.monotonic() - start < 2.5

    def test_a_message_that_turns_visible_during_a_long_poll_gets_the_polls_timeout(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        """A message turning visible mid-wait ends the wait and gets that receive's timeout.

        A delayed message becomes visible while a long poll waits: the poll returns it,
        hidden for as long as its ``visibility_timeout`` says (not the queue's default).
        """
        queue.send("later", delay_seconds=1)
        got = _receive_while_time_passes(queue, advance_clock, visibility_timeout=1)
        assert _bodies(got) == ["later"]
        assert list(queue.receive(max_messages=10)) == []
        advance_clock(_PAUSE)
        (again,) = queue.receive(visibility_timeout=30)
        assert (again.body, again.receive_count) == ("later", 2)

    def test_a_long_poll_takes_at_most_max_messages_of_those_turning_visible(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        """Two messages turn visible during a long poll for one: it returns one."""
        queue.send("a", delay_seconds=1)
        queue.send("b", delay_seconds=1)
        got = _receive_while_time_passes(queue, advance_clock, visibility_timeout=60)
        assert len(got) == 1
        for _ in range(5):
            got += queue.receive(max_messages=10, visibility_timeout=60)
        assert sorted(_bodies(got)) == ["a", "b"]

    def test_an_unacknowledged_message_is_redelivered_after_its_visibility_timeout(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        queue.send("work")
        (first,) = queue.receive(visibility_timeout=1)
        assert list(queue.receive(max_messages=10)) == []
        advance_clock(_PAUSE)
        (again,) = queue.receive(visibility_timeout=30)
        assert (again.id, again.body, again.receive_count) == (first.id, "work", 2)
        assert again.receipt != first.receipt

    def test_ack_removes_the_message_and_a_second_ack_is_harmless(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        queue.send("work")
        (message,) = queue.receive(visibility_timeout=1)
        queue.ack(message)
        queue.ack(message)
        advance_clock(_PAUSE)
        assert list(queue.receive(max_messages=10)) == []

    def test_change_visibility_zero_redelivers_at_once(self, queue: Queue) -> None:
        queue.send("work")
        (first,) = queue.receive(visibility_timeout=60)
        queue.change_visibility(first, 0)
        (again,) = queue.receive(visibility_timeout=60)
        assert (again.id, again.receive_count) == (first.id, 2)
        queue.change_visibility(again, 60)  # extends: still hidden
        assert list(queue.receive(max_messages=10)) == []

    def test_max_messages_caps_a_receive_and_nothing_is_lost(self, queue: Queue) -> None:
        sent = {queue.send(f"m{i}") for i in range(5)}
        batch = queue.receive(max_messages=3, visibility_timeout=60)
        assert 1 <= len(batch) <= 3
        received = [m.id for m in batch]
        for _ in range(5):
            received += [m.id for m in queue.receive(max_messages=10, visibility_timeout=60)]
        assert sorted(received) == sorted(sent)

    def test_delay_seconds_hides_a_new_message(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        queue.send("later", delay_seconds=1)
        assert list(queue.receive(max_messages=10)) == []
        advance_clock(_PAUSE)
        assert _bodies(queue.receive(max_messages=10)) == ["later"]

    @pytest.mark.parametrize(
        ("method", "kwargs"),
        [
            pytest.param("send", {"body": ""}, id="empty-body"),
            pytest.param("send", {"body": "x", "delay_seconds": -1}, id="negative-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": 901}, id="delay-over-max"),
            pytest.param("send", {"body": "x" * 262_145}, id="body-over-256k"),
            pytest.param("send", {"body": "x", "group_id": "g"}, id="group-on-standard"),
            pytest.param("send", {"body": "x", "attributes": {"": "v"}}, id="empty-attr-name"),
            pytest.param(
                "send", {"body": "x", "attributes": {"n" * 257: "v"}}, id="attr-name-over-256"
            ),
            pytest.param(
                "send",
                {"body": "x", "attributes": {f"a{i}": "v" for i in range(11)}},
                id="eleven-attributes",
            ),
            pytest.param(
                "send",
                {"body": "x" * 262_100, "attributes": {"big": "v" * 2048}},
                id="body-and-attributes-over-256k",
            ),
            pytest.param(
                "send",
                {"body": "é" * 131_072 + "x"},
                id="body-over-256k-in-utf8-bytes",
            ),
            pytest.param("receive", {"max_messages": 0}, id="zero-messages"),
            pytest.param("receive", {"max_messages": 11}, id="over-ten-messages"),
            pytest.param("receive", {"visibility_timeout": -1}, id="negative-visibility"),
            pytest.param("receive", {"visibility_timeout": 43_201}, id="visibility-over-max"),
            pytest.param("receive", {"visibility_timeout": True}, id="bool-visibility"),
            pytest.param("receive", {"wait_seconds": 21}, id="wait-over-max"),
            pytest.param("send", {"body": "x", "delay_seconds": 1.5}, id="float-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": 0.0}, id="integral-float-delay"),
            pytest.param("send", {"body": "x", "delay_seconds": True}, id="bool-delay"),
            pytest.param("receive", {"max_messages": 10.0}, id="integral-float-messages"),
            pytest.param("receive", {"max_messages": 2.5}, id="float-messages"),
            pytest.param("receive", {"max_messages": True}, id="bool-messages"),
        ],
    )
    def test_invalid_arguments_are_validation_errors(
        self, queue: Queue, method: str, kwargs: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError):
            getattr(queue, method)(**kwargs)

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("a b", id="a-space"),
            pytest.param("ação", id="not-ascii"),
            pytest.param("a:b", id="a-colon"),
            pytest.param("AWS.trace", id="aws-prefix"),
            pytest.param("amazon.x", id="amazon-prefix-in-any-case"),
            pytest.param(".a", id="leading-period"),
            pytest.param("a.", id="trailing-period"),
            pytest.param("a..b", id="two-periods"),
        ],
    )
    def test_attribute_names_sqs_refuses_are_validation_errors(
        self, queue: Queue, name: str
    ) -> None:
        """Names are ASCII letters, digits, ``_``, ``-`` and ``.``, with no reserved prefix.

        SQS answers ``InvalidParameterValue`` for these (moto accepts them): every queue
        refuses them before any I/O, so a send the fake accepts is one SQS accepts.
        """
        with pytest.raises(ValidationError):
            queue.send("x", attributes={name: "v"})
        assert list(queue.receive(max_messages=10)) == []

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("a\x00b", id="nul"),
            pytest.param("a\x1fb", id="control-character"),
            pytest.param("a\ud800b", id="lone-surrogate"),
            pytest.param("a\ufffeb", id="u-fffe"),
            pytest.param("\uffff", id="u-ffff"),
        ],
    )
    def test_characters_sqs_refuses_are_validation_errors(self, queue: Queue, text: str) -> None:
        """A body or attribute value holds only characters SQS takes, or it is refused.

        SQS takes tab, newline, carriage return and Unicode from U+0020, without the
        surrogates, U+FFFE and U+FFFF. It answers ``InvalidMessageContents`` otherwise
        (moto accepts them, PostgreSQL's text holds no NUL, a lone surrogate has no UTF-8
        form): every queue refuses them before any I/O.
        """
        with pytest.raises(ValidationError):
            queue.send(text)
        with pytest.raises(ValidationError):
            queue.send("x", attributes={"k": text})
        assert list(queue.receive(max_messages=10)) == []

    def test_every_character_sqs_takes_round_trips(self, queue: Queue) -> None:
        """The edges of SQS's character ranges, in a body and in an attribute's value."""
        text = "\t\n\r \x7f\ud7ff\ue000\ufffd\U00010000\U0010ffff é"
        queue.send(text, attributes={"k": text})
        (message,) = queue.receive(visibility_timeout=30)
        assert (message.body, dict(message.attributes)) == (text, {"k": text})

    def test_a_message_of_exactly_256k_counting_its_attributes_is_accepted_one_byte_more_not(
        self, queue: Queue
    ) -> None:
        """SQS counts the body and each attribute's name, data type (``String``) and value."""
        # 262,144 bytes = body + ("a" + "String" + "v") + ("n" + "String" + "7")
        body = "x" * (262_144 - len("aStringv") - len("nString7"))
        with pytest.raises(ValidationError):
            queue.send(body + "x", attributes={"a": "v", "n": "7"})
        queue.send(body, attributes={"a": "v", "n": "7"})
        (message,) = queue.receive(visibility_timeout=30)
        assert (len(message.body), dict(message.attributes)) == (len(body), {"a": "v", "n": "7"})

    def test_the_largest_arguments_sqs_takes_are_accepted(self, queue: Queue) -> None:
        """SQS's maximums are inclusive: each is accepted at its value.

        A 900-second delay; ten attributes, one with a 256-character name and one using
        every kind of character a name may hold; a 20-second long poll (answered at once:
        a message is visible); a 12-hour visibility timeout.
        """
        attributes = {f"a{i}": str(i) for i in range(7)} | {
            "n" * 256: "v",
            "Aws-trace_id.v2": "every allowed character kind, and AWS without its period",
            "a.b": "a period inside",
        }
        queue.send("later", delay_seconds=900)
        queue.send("now", attributes=attributes)
        (message,) = queue.receive(max_messages=10, wait_seconds=20, visibility_timeout=43_200)
        assert (message.body, dict(message.attributes)) == ("now", attributes)
        assert list(queue.receive(max_messages=10)) == []

    def test_number_attributes_read_back_in_decimal_form(self, queue: Queue) -> None:
        """A number is sent as its decimal text, never in exponent form, as SQS wants it.

        SQS's ``Number`` limits are accepted at their edges: 38 significant digits (trailing
        zeros do not count), magnitudes 1E-128 and 1E+126. An ``(int, Enum)`` member, whose
        ``str()`` is ``"_Count.TWO"``, is sent by its value.
        """
        attributes: Any = {
            "big": 1e20,
            "hundred": Decimal("1E+2"),
            "small": 1e-7,
            "price": Decimal("-9.90"),
            "count": _Count.TWO,
            "digits": Decimal("1." + "2" * 37),
            "zeros": Decimal("5" + "0" * 50),
            "largest": Decimal("1E+126"),
            "smallest": Decimal("-1E-128"),
            "zero": Decimal("0E+5"),
        }
        queue.send("numbers", attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert dict(message.attributes) == {
            "big": "100000000000000000000",
            "hundred": "100",
            "small": "0.0000001",
            "price": "-9.90",
            "count": "2",
            "digits": "1." + "2" * 37,
            "zeros": "5" + "0" * 50,
            "largest": "1" + "0" * 126,
            "smallest": "-0." + "0" * 127 + "1",
            "zero": "0",
        }

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(float("nan"), id="float-nan"),
            pytest.param(float("inf"), id="float-infinity"),
            pytest.param(float("-inf"), id="float-minus-infinity"),
            pytest.param(Decimal("NaN"), id="decimal-nan"),
            pytest.param(Decimal("-Infinity"), id="decimal-minus-infinity"),
            pytest.param(Decimal("1." + "2" * 38), id="39-significant-digits"),
            pytest.param(10**38 + 1, id="int-of-39-digits"),
            pytest.param(Decimal("1.1E+126"), id="over-1e126"),
            pytest.param(1e200, id="float-1e200"),
            pytest.param(Decimal("9E-129"), id="under-1e-128"),
            pytest.param(5e-324, id="smallest-float"),
        ],
    )
    def test_numbers_sqs_cannot_hold_are_validation_errors(
        self, queue: Queue, value: object
    ) -> None:
        """SQS's ``Number``: finite, 38 significant digits, 0 or 1E-128 to 1E+126.

        The SQS adapter always refused NaN and infinity; the fake and the PostgreSQL
        queue stored them, and moto stores numbers out of SQS's documented range.
        """
        attributes: Any = {"n": value}
        with pytest.raises(ValidationError):
            queue.send("x", attributes=attributes)
        assert list(queue.receive(max_messages=10)) == []

    def test_a_number_counts_toward_256k_as_the_text_sent(self, queue: Queue) -> None:
        """``Decimal("1E+2")`` is sent as ``100`` (3 bytes), ``1e-7`` as ``0.0000001`` (9)."""
        attributes: Any = {"n": Decimal("1E+2"), "s": 1e-7}
        body = "x" * (262_144 - len("nNumber100") - len("sNumber0.0000001"))
        with pytest.raises(ValidationError):
            queue.send(body + "x", attributes=attributes)
        queue.send(body, attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert (len(message.body), dict(message.attributes)) == (
            len(body),
            {"n": "100", "s": "0.0000001"},
        )

    def test_enum_members_are_sent_as_their_plain_values(self, queue: Queue) -> None:
        """A ``StrEnum`` body or attribute reads back as the plain ``str`` SQS returns."""
        attributes: Any = {"kind": _Kind.ORDER, "old": _OldKind.PAID}
        queue.send(_Kind.ORDER, attributes=attributes)
        (message,) = queue.receive(visibility_timeout=30)
        assert (message.body, dict(message.attributes)) == (
            "order",
            {"kind": "order", "old": "paid"},
        )
        assert type(message.body) is str
        assert all(type(value) is str for value in message.attributes.values())

    def test_a_message_stays_hidden_at_most_12_hours_from_its_receive(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        """``change_visibility`` counts from the call; the whole stays within 12 hours.

        SQS refuses a change whose timeout ends more than 43,200 s after the receive
        that delivered the message, so extending by the maximum after any time has
        passed is a ValidationError, and the message keeps its visibility.
        """
        queue.send("work")
        (message,) = queue.receive(visibility_timeout=60)
        queue.change_visibility(message, 40_000)
        advance_clock(_PAUSE)
        with pytest.raises(ValidationError):
            queue.change_visibility(message, 43_200)
        queue.change_visibility(message, 43_000)
        assert list(queue.receive(max_messages=10)) == []
        queue.change_visibility(message, 0)
        (again,) = queue.receive(visibility_timeout=60)
        assert (again.id, again.receive_count) == (message.id, 2)
        queue.change_visibility(again, 43_000)  # a new receive opens a new window

    def test_visibility_runs_from_the_receive_and_a_stale_receipt_is_accepted(
        self, queue: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        """One real wait on real servers: the message waits longer than the timeout first."""
        queue.send("work")
        advance_clock(_PAUSE)
        (first,) = queue.receive(visibility_timeout=1)
        assert list(queue.receive(max_messages=10)) == [], "redelivered within its timeout"
        advance_clock(_PAUSE)
        (again,) = queue.receive(visibility_timeout=30)
        assert (again.id, again.receive_count) == (first.id, 2)
        queue.ack(first)  # stale receipt: the request succeeds
        queue.ack(again)
        queue.ack(again)  # already acknowledged: harmless
        with pytest.raises(NotFoundError):
            queue.change_visibility(again, 0)
        assert list(queue.receive(max_messages=10)) == []

    def test_a_receipt_from_another_queue_is_not_found(
        self, queue: Queue, open_queue: QueueFactory
    ) -> None:
        other = open_queue(f"q{uuid.uuid4().hex[:12]}", fifo=False)
        other.send("theirs")
        queue.send("ours")
        (foreign,) = other.receive(visibility_timeout=60)
        with pytest.raises(NotFoundError):
            queue.ack(foreign)
        with pytest.raises(NotFoundError):
            queue.change_visibility(foreign, 0)
        (ours,) = queue.receive(visibility_timeout=60)
        assert ours.body == "ours"
        other.ack(foreign)  # the receipt still works where it was issued
        assert list(other.receive(max_messages=10)) == []

    def test_a_receipt_the_queue_never_issued_is_not_found(self, queue: Queue) -> None:
        queue.send("x")
        for receipt in ("bogus-receipt", f"{uuid.uuid4()}.{uuid.uuid4().hex}"):
            bogus = Message(id=str(uuid.uuid4()), body="x", receipt=receipt, receive_count=1)
            with pytest.raises(NotFoundError):
                queue.ack(bogus)
            with pytest.raises(NotFoundError):
                queue.change_visibility(bogus, 0)
        (message,) = queue.receive(visibility_timeout=60)
        assert message.body == "x"

    def test_fifo_delivers_each_group_in_send_order(self, fifo: Queue) -> None:
        for i in range(4):
            fifo.send(f"a{i}", group_id="A")
            fifo.send(f"b{i}", group_id="B")
        seen: list[Message] = []
        for _ in range(20):
            batch = fifo.receive(max_messages=3, visibility_timeout=60)
            seen += batch
            for message in batch:
                fifo.ack(message)
        assert [m.body for m in seen if m.group_id == "A"] == ["a0", "a1", "a2", "a3"]
        assert [m.body for m in seen if m.group_id == "B"] == ["b0", "b1", "b2", "b3"]

    def test_fifo_holds_back_a_group_while_one_of_its_messages_is_in_flight(
        self, fifo: Queue
    ) -> None:
        fifo.send("a1", group_id="A")
        fifo.send("a2", group_id="A")
        fifo.send("b1", group_id="B")
        (first,) = fifo.receive(visibility_timeout=60)
        assert first.body == "a1"
        assert _bodies(fifo.receive(max_messages=10, visibility_timeout=60)) == ["b1"]
        assert list(fifo.receive(max_messages=10)) == []
        fifo.change_visibility(first, 0)  # released: the group flows again, from a1
        assert _bodies(fifo.receive(max_messages=10, visibility_timeout=60)) == ["a1", "a2"]

    def test_fifo_dedup_id_enqueues_once_and_sends_without_one_are_never_dropped(
        self, fifo: Queue
    ) -> None:
        fifo.send("same", group_id="g", dedup_id="d1")
        fifo.send("same", group_id="g", dedup_id="d1")
        fifo.send("same", group_id="g")
        fifo.send("same", group_id="g")
        assert _bodies(fifo.receive(max_messages=10, visibility_timeout=60)) == ["same"] * 3

    @requires("duplicate_answers_original_id")
    def test_a_duplicate_send_answers_the_original_message_id(self, fifo: Queue) -> None:
        """SQS accepts a duplicate and answers with the id of the message it enqueued."""
        first = fifo.send("same", group_id="g", dedup_id="d1")
        again = fifo.send("other", group_id="g", dedup_id="d1")
        (message,) = fifo.receive(max_messages=10, visibility_timeout=60)
        assert (again, message.id, message.body) == (first, first, "same")

    @requires("content_based_dedup")
    def test_content_based_fifo_dedups_by_body_unless_a_dedup_id_is_given(
        self, open_content_based_fifo: ContentBasedFifoFactory
    ) -> None:
        """A send without ``dedup_id`` is deduplicated by its body's SHA-256.

        An explicit ``dedup_id`` takes precedence, as on SQS: the same body under two ids
        is two messages, and a body-only send never drops them.
        """
        fifo = open_content_based_fifo(f"q{uuid.uuid4().hex[:12]}")
        fifo.send("same", group_id="g")
        fifo.send("same", group_id="g")  # same body, no id: a duplicate
        fifo.send("other", group_id="g", dedup_id="d1")
        fifo.send("other", group_id="g", dedup_id="d2")  # same body, its own id: enqueued
        fifo.send("third", group_id="g", dedup_id="d1")  # d1 again: a duplicate
        received = _bodies(fifo.receive(max_messages=10, visibility_timeout=60))
        for _ in range(3):
            received += _bodies(fifo.receive(max_messages=10, visibility_timeout=60))
        assert received == ["same", "other", "other"]

    @requires("dedup_after_ack")
    def test_fifo_dedup_id_is_remembered_after_ack(self, fifo: Queue) -> None:
        fifo.send("once", group_id="g", dedup_id="d1")
        (message,) = fifo.receive(visibility_timeout=60)
        fifo.ack(message)
        fifo.send("once", group_id="g", dedup_id="d1")
        assert list(fifo.receive(max_messages=10)) == []

    @requires("fifo_redelivery_order")
    def test_fifo_redelivers_timed_out_messages_of_a_group_in_order(
        self, fifo: Queue, advance_clock: Callable[[float], None]
    ) -> None:
        fifo.send("a1", group_id="A")
        fifo.send("a2", group_id="A")
        assert _bodies(fifo.receive(max_messages=10, visibility_timeout=1)) == ["a1", "a2"]
        advance_clock(_PAUSE)
        again = fifo.receive(max_messages=10, visibility_timeout=60)
        assert [(m.body, m.receive_count) for m in again] == [("a1", 2), ("a2", 2)]

    def test_fifo_ids_of_128_characters_from_the_whole_allowed_set_are_accepted(
        self, fifo: Queue
    ) -> None:
        """SQS allows group and deduplication ids of 1 to 128 characters, each of ``!`` to ``~``.

        The longest ids, and one holding every allowed character, are sent and received.
        """
        every = "".join(chr(c) for c in range(0x21, 0x7F))  # all 94 printable ASCII characters
        fifo.send("long", group_id="g" * 128, dedup_id="d" * 128)
        fifo.send("every", group_id=every, dedup_id=every)
        got = fifo.receive(max_messages=10, visibility_timeout=60)
        received = {m.body: m.group_id for m in got}
        for _ in range(3):
            received |= {m.body: m.group_id for m in fifo.receive(max_messages=10)}
        assert received == {"long": "g" * 128, "every": every}

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({}, id="no-group"),
            pytest.param({"group_id": "g", "delay_seconds": 5}, id="delay"),
            pytest.param({"group_id": "a b"}, id="group-id-with-a-space"),
            pytest.param({"group_id": "g" * 129}, id="group-id-over-128"),
            pytest.param({"group_id": "g", "dedup_id": "d" * 129}, id="dedup-id-over-128"),
            pytest.param({"group_id": "g", "dedup_id": "é"}, id="dedup-id-not-ascii"),
        ],
    )
    def test_fifo_rejects_sends_sqs_rejects(self, fifo: Queue, kwargs: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            fifo.send("x", **kwargs)

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

        run_state_machine_as_test(Machine, settings=hypothesis_settings())


class AsyncQueueContract(QueueContract):
    """Every AsyncQueue must pass the Queue contract, run through a :class:`SyncDriver`.

    Override ``open_async_queue`` to return a callable ``(namespace, fifo) ->
    AsyncQueue``; it is called on the suite's event loop.
    """

    @pytest.fixture
    def open_async_queue(self) -> AsyncQueueFactory:
        pytest.fail("override `open_async_queue`: return a callable (namespace, fifo) -> queue")

    @pytest.fixture
    def open_async_content_based_fifo(self) -> AsyncContentBasedFifoFactory:
        pytest.fail(
            "override `open_async_content_based_fifo`: return a callable namespace -> FIFO"
            " queue deduplicating by body, or leave the content_based_dedup capability off"
        )

    @pytest.fixture
    def queue_runner(self) -> Iterator[asyncio.Runner]:
        """The event loop the suite drives every async queue of one test on."""
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def open_queue(
        self, open_async_queue: AsyncQueueFactory, queue_runner: asyncio.Runner
    ) -> QueueFactory:
        async def make(namespace: str, fifo: bool) -> AsyncQueue:
            return open_async_queue(namespace, fifo)

        def factory(namespace: str, fifo: bool) -> Queue:
            return SyncDriver(queue_runner.run(make(namespace, fifo)), queue_runner)

        return factory

    @pytest.fixture
    def open_content_based_fifo(
        self,
        open_async_content_based_fifo: AsyncContentBasedFifoFactory,
        queue_runner: asyncio.Runner,
    ) -> ContentBasedFifoFactory:
        async def make(namespace: str) -> AsyncQueue:
            return open_async_content_based_fifo(namespace)

        def factory(namespace: str) -> Queue:
            return SyncDriver(queue_runner.run(make(namespace)), queue_runner)

        return factory


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
