"""Queue cases about receipts: the 12-hour visibility window, stale and foreign receipts.

One theme of :class:`~serpens_contract.queue.QueueContract`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens.ports import Message, Queue
from serpens_contract.queue._support import _PAUSE, QueueFactory


class _QueueVisibilityCases:
    """``change_visibility`` and ``ack`` by receipt: which receipts work, for how long."""

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

    def test_a_delivered_message_s_receipt_with_another_token_is_not_found(
        self, queue: Queue
    ) -> None:
        """A receipt altered from a real one acts on nothing, though it names a real message.

        SQS refuses a receipt handle it never issued. A queue that read only the message
        id out of a receipt (``<id>.<token>``) deleted the message for any token.
        """
        queue.send("keep")
        (message,) = queue.receive(visibility_timeout=60)
        tail = "000000" if not message.receipt.endswith("000000") else "111111"
        for receipt in (message.receipt[:-6] + tail, message.receipt + "x"):
            forged = dataclasses.replace(message, receipt=receipt)
            with pytest.raises(NotFoundError):
                queue.ack(forged)
            with pytest.raises(NotFoundError):
                queue.change_visibility(forged, 0)
        assert list(queue.receive(max_messages=10)) == []  # still hidden, still there
        queue.change_visibility(message, 0)
        (again,) = queue.receive(visibility_timeout=60)
        assert again.id == message.id
        queue.ack(message)  # the stale receipt: issued, so the request succeeds
        queue.ack(again)

    def test_an_acknowledged_message_s_receipt_with_another_token_is_not_found(
        self, queue: Queue
    ) -> None:
        """After ``ack``, the message's receipts still answer as its receipts did before.

        SQS accepts a second delete with the last receipt handle or a stale one, and
        refuses a handle it never issued. A queue that remembered only the acknowledged
        message's id accepted a second ``ack`` with any token.
        """
        queue.send("done")
        (first,) = queue.receive(visibility_timeout=60)
        queue.change_visibility(first, 0)
        (last,) = queue.receive(visibility_timeout=60)
        assert last.id == first.id
        queue.ack(last)
        tail = "000000" if not last.receipt.endswith("000000") else "111111"
        for receipt in (last.receipt[:-6] + tail, last.receipt + "x"):
            with pytest.raises(NotFoundError):
                queue.ack(dataclasses.replace(last, receipt=receipt))
        queue.ack(last)  # already acknowledged: harmless
        queue.ack(first)  # a stale receipt of it: issued, so the request succeeds
        with pytest.raises(NotFoundError):
            queue.change_visibility(first, 0)
        assert list(queue.receive(max_messages=10)) == []
