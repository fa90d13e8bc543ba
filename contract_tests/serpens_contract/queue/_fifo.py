"""Queue cases of FIFO queues: group order, deduplication, ids and what SQS refuses.

One theme of :class:`~serpens_contract.queue.QueueContract`, on the ``fifo`` fixture's
queue (and ``open_content_based_fifo``'s, when declared).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens.ports import Message, Queue
from serpens_contract.capabilities import requires
from serpens_contract.queue._support import _PAUSE, ContentBasedFifoFactory, _bodies


class _QueueFifoCases:
    """Each group in send order, held back while in flight; ``dedup_id`` enqueues once."""

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
        ("kwargs", "named"),
        [
            pytest.param({}, "group_id", id="no-group"),
            pytest.param({"group_id": "g", "delay_seconds": 5}, "delay_seconds", id="delay"),
            pytest.param({"group_id": "a b"}, "group_id", id="group-id-with-a-space"),
            pytest.param({"group_id": "g" * 129}, "group_id", id="group-id-over-128"),
            pytest.param(
                {"group_id": "g", "dedup_id": "d" * 129}, "dedup_id", id="dedup-id-over-128"
            ),
            pytest.param({"group_id": "g", "dedup_id": "é"}, "dedup_id", id="dedup-id-not-ascii"),
            pytest.param({"group_id": 5}, "group_id", id="group-id-not-a-str"),
            pytest.param({"group_id": "g", "dedup_id": 7}, "dedup_id", id="dedup-id-not-a-str"),
        ],
    )
    def test_fifo_rejects_sends_sqs_rejects(
        self, fifo: Queue, kwargs: dict[str, Any], named: str
    ) -> None:
        """Each refusal names the argument at fault."""
        with pytest.raises(ValidationError, match=named):
            fifo.send("x", **kwargs)
