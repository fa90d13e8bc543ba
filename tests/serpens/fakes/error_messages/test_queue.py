"""The exact wording of the in-memory queues' errors.

Unknown receipts, visibility timeouts, message bodies and attributes, and an outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest

from serpens.errors import BackendUnavailableError, NotFoundError, ValidationError
from serpens.fakes import AsyncInMemoryQueue, InMemoryQueue
from serpens.ports import Message
from tests.serpens.fakes.error_messages._error_cases import (
    _down,
    _observed,
    _untyped,
)


def _change_visibility_after_ack() -> None:
    """The receipt is known but its message is gone; the id is the caller's (not random)."""
    queue = InMemoryQueue()
    queue.send("hello")
    (message,) = queue.receive()
    queue.ack(message)
    queue.change_visibility(dataclasses.replace(message, id="m-1"), 10)


def _change_visibility_out_of_range() -> None:
    queue = InMemoryQueue()
    queue.send("hello")
    (message,) = queue.receive()
    queue.change_visibility(message, 43201)


def _change_visibility_past_12_hours() -> None:
    """100 s after the receive, 43,200 s more would end past 12 hours from it."""
    now = [1_700_000_000.0]
    queue = InMemoryQueue(clock=lambda: now[0])
    queue.send("hello")
    (message,) = queue.receive()
    queue.change_visibility(message, 43_200)  # exactly 12 hours from the receive: accepted
    now[0] += 100
    queue.change_visibility(message, 43_100)  # still exactly 12 hours
    queue.change_visibility(message, 43_101)


def _change_visibility_when_12_hours_passed() -> None:
    """Held for the whole 12 hours, not even one more second is left."""
    now = [1_700_000_000.0]
    queue = InMemoryQueue(clock=lambda: now[0])
    queue.send("hello")
    (message,) = queue.receive(visibility_timeout=43_200)
    now[0] += 43_200
    queue.change_visibility(message, 1)


_UNKNOWN = Message(id="m-1", body="hello", receipt="r-unknown", receive_count=1)

QUEUE_CASES = [
    pytest.param(
        lambda: InMemoryQueue().ack(_UNKNOWN),
        NotFoundError,
        "no message was delivered with receipt 'r-unknown'",
        [],
        id="queue-ack-unknown-receipt",
    ),
    pytest.param(
        lambda: AsyncInMemoryQueue().change_visibility(_UNKNOWN, 10),
        NotFoundError,
        "no message was delivered with receipt 'r-unknown'",
        [],
        id="queue-change-visibility-unknown-receipt",
    ),
    pytest.param(
        _change_visibility_after_ack,
        NotFoundError,
        "message 'm-1' was already acknowledged",
        [],
        id="queue-change-visibility-after-ack",
    ),
    pytest.param(
        _change_visibility_out_of_range,
        ValidationError,
        "a visibility timeout must be 0 to 43200 seconds",
        [],
        id="queue-change-visibility-out-of-range",
    ),
    pytest.param(
        _change_visibility_past_12_hours,
        ValidationError,
        "a message stays hidden at most 43200 seconds from its receive: 43101 seconds more"
        " is past that (43100 seconds are left)",
        [],
        id="queue-change-visibility-past-12-hours",
    ),
    pytest.param(
        _change_visibility_when_12_hours_passed,
        ValidationError,
        "a message stays hidden at most 43200 seconds from its receive: 1 seconds more"
        " is past that (0 seconds are left)",
        [],
        id="queue-change-visibility-when-12-hours-passed",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"AWS.trace": "1"}),
        ValidationError,
        "attribute name 'AWS.trace' must be 1 to 256 ASCII letters, digits, '_', '-' or '.',"
        " with no '.' first, last or twice in a row, and not start with 'AWS.' or 'Amazon.'",
        [],
        id="queue-send-reserved-attribute-name",
    ),
    pytest.param(
        lambda: InMemoryQueue().send(""),
        ValidationError,
        "a message body must be a non-empty string",
        [],
        id="queue-send-empty-body",
    ),
    pytest.param(
        lambda: InMemoryQueue(fifo=True).send("hello"),
        ValidationError,
        "a FIFO queue needs a group_id on every message",
        [],
        id="queue-send-fifo-without-group",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"flag": _untyped(True)}),
        ValidationError,
        "attribute 'flag' must be a string or a number, got bool",
        [],
        id="queue-send-bool-attribute",
    ),
    pytest.param(
        lambda: InMemoryQueue().receive(max_messages=11),
        ValidationError,
        "max_messages must be 1 to 10",
        [],
        id="queue-receive-too-many",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", delay_seconds=_untyped(1.5)),
        ValidationError,
        "delay_seconds must be an int, got float",
        [],
        id="queue-send-delay-not-an-int",
    ),
    pytest.param(
        lambda: InMemoryQueue().receive(max_messages=_untyped(10.0)),
        ValidationError,
        "max_messages must be an int, got float",
        [],
        id="queue-receive-max-messages-not-an-int",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(float("nan"))}),
        ValidationError,
        "attribute 'n': NaN and infinity are not numbers SQS takes",
        [],
        id="queue-send-nan-attribute",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(Decimal("1." + "2" * 38))}),
        ValidationError,
        "attribute 'n': a Number has at most 38 significant digits, got 39",
        [],
        id="queue-send-number-attribute-of-39-digits",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(1e200)}),
        ValidationError,
        "attribute 'n': a Number must be 0 or of magnitude 1E-128 to 1E+126",
        [],
        id="queue-send-number-attribute-out-of-range",
    ),
    pytest.param(
        lambda: _down(InMemoryQueue()).send("hello"),
        BackendUnavailableError,
        "InMemoryQueue: simulated outage, the backend is unreachable",
        [],
        id="queue-outage",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), QUEUE_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
