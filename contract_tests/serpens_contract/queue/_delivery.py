"""Queue cases about delivery: send, receive, long polls, visibility timeouts, ack, delay.

One theme of :class:`~serpens_contract.queue.QueueContract`, on a standard queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC
from typing import ClassVar

from serpens.ports import Queue
from serpens_contract.queue._capabilities import QueueCapabilities
from serpens_contract.queue._support import _PAUSE, _bodies, _receive_while_time_passes


class _QueueDeliveryCases:
    """A message is received, hidden for its visibility timeout, redelivered or acked."""

    # The suite's own, declared on QueueContract; annotated here for the type checker.
    capabilities: ClassVar[QueueCapabilities]

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

    def test_a_receive_without_wait_seconds_answers_at_once(self, queue: Queue) -> None:
        """``wait_seconds`` defaults to 0: an empty queue answers without a long poll.

        Three receives take well under the three seconds of three 1-second polls (an
        SQS adapter defaulting to a 1-second wait survived every other case).
        """
        start = time.monotonic()
        for _ in range(3):
            assert list(queue.receive()) == []
        assert time.monotonic() - start < 2.5

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
