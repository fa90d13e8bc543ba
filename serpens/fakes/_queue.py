"""In-memory Queue and AsyncQueue with Amazon SQS semantics and an injectable clock."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from serpens._rules.queue import (
    DEDUP_WINDOW_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    AttributeValue,
    check_receive,
    check_send,
    check_visibility,
    check_visibility_change,
    dedup_key,
)
from serpens.errors import NotFoundError
from serpens.fakes._outage import OutageSwitch
from serpens.ports import Message

__all__ = ["AsyncInMemoryQueue", "InMemoryQueue"]

Clock = Callable[[], float]
"""Returns the current time in POSIX seconds (``time.time`` by default)."""


@dataclass(slots=True)
class _Stored:
    id: str
    body: str
    attributes: dict[str, str]
    group_id: str | None
    sent_at: float
    visible_at: float
    receive_count: int = 0
    receipt: str | None = None
    receipts: set[str] = field(default_factory=set)
    received_at: float = 0.0

    def in_flight(self, now: float) -> bool:
        return self.receipt is not None and now < self.visible_at


class _QueueCore:
    """The state and rules; callers hold ``lock``. Time comes only from ``clock``."""

    def __init__(
        self,
        *,
        fifo: bool,
        content_based_dedup: bool,
        visibility_timeout: int,
        clock: Clock,
    ) -> None:
        check_visibility(visibility_timeout)
        self.fifo = fifo
        self.content_based_dedup = content_based_dedup
        self.visibility_timeout = visibility_timeout
        self.clock = clock
        self.lock = threading.Condition()
        self.messages: dict[str, _Stored] = {}  # insertion order is send order
        self.by_receipt: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.dedup: dict[str, tuple[float, str]] = {}

    def send(
        self,
        body: str,
        attributes: Mapping[str, AttributeValue] | None,
        delay_seconds: int,
        group_id: str | None,
        dedup_id: str | None,
    ) -> str:
        attrs = check_send(
            body,
            attributes,
            fifo=self.fifo,
            delay_seconds=delay_seconds,
            group_id=group_id,
            dedup_id=dedup_id,
        )
        body = str.__str__(body)  # a StrEnum member's text, as a backend reads it back
        now = self.clock()
        key = dedup_key(body, dedup_id, fifo=self.fifo, content_based=self.content_based_dedup)
        if key is not None:
            seen = self.dedup.get(key)
            if seen is not None and now - seen[0] < DEDUP_WINDOW_SECONDS:
                return seen[1]
        message_id = str(uuid.uuid4())
        if key is not None:
            self.dedup[key] = (now, message_id)
        self.messages[message_id] = _Stored(
            message_id, body, attrs, group_id, now, now + delay_seconds
        )
        self.lock.notify_all()
        return message_id

    def receive(self, max_messages: int, visibility_timeout: int | None) -> list[Message]:
        now = self.clock()
        timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        busy = (
            {m.group_id for m in self.messages.values() if m.in_flight(now)} if self.fifo else set()
        )
        out: list[Message] = []
        for stored in self.messages.values():
            if len(out) == max_messages:
                break
            if stored.visible_at > now or stored.group_id in busy:
                continue
            stored.receive_count += 1
            stored.receipt = uuid.uuid4().hex
            stored.receipts.add(stored.receipt)
            stored.visible_at = now + timeout
            stored.received_at = now
            self.by_receipt[stored.receipt] = stored.id
            out.append(
                Message(
                    id=stored.id,
                    body=stored.body,
                    receipt=stored.receipt,
                    receive_count=stored.receive_count,
                    attributes=dict(stored.attributes),
                    group_id=stored.group_id,
                    sent_at=datetime.fromtimestamp(stored.sent_at, UTC),
                )
            )
        return out

    def _find(self, message: Message) -> _Stored | None:
        message_id = self.by_receipt.get(message.receipt)
        if message_id is None:
            raise NotFoundError(f"no message was delivered with receipt {message.receipt!r}")
        return self.messages.get(message_id)

    def ack(self, message: Message) -> None:
        stored = self._find(message)
        if stored is not None:
            del self.messages[stored.id]
            self.deleted.add(stored.id)
            self.lock.notify_all()

    def change_visibility(self, message: Message, timeout: int) -> None:
        check_visibility(timeout)
        stored = self._find(message)
        if stored is None:
            raise NotFoundError(f"message {message.id!r} was already acknowledged")
        now = self.clock()
        check_visibility_change(timeout, received_at=stored.received_at, now=now)
        stored.visible_at = now + timeout
        self.lock.notify_all()


class _Base(OutageSwitch):
    def __init__(
        self,
        *,
        fifo: bool = False,
        content_based_dedup: bool = False,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        self._core = _QueueCore(
            fifo=fifo,
            content_based_dedup=content_based_dedup,
            visibility_timeout=visibility_timeout,
            clock=clock,
        )

    @property
    def fifo(self) -> bool:
        """Whether this queue has FIFO semantics (group ids, per-group order, dedup)."""
        return self._core.fifo

    def pending_bodies(self) -> list[str]:
        """Bodies of every message not yet acknowledged, in send order (for assertions)."""
        with self._core.lock:
            return [m.body for m in self._core.messages.values()]

    def _receive_now(
        self, max_messages: int, wait_seconds: float, visibility_timeout: int | None
    ) -> list[Message]:
        check_receive(max_messages, wait_seconds, visibility_timeout)
        self._check_outage()
        with self._core.lock:
            return self._core.receive(max_messages, visibility_timeout)


class InMemoryQueue(_Base):
    """A :class:`serpens.ports.Queue` in memory, with SQS semantics, for unit tests.

    Visibility timeouts, delays and the 5-minute FIFO deduplication window follow
    *clock* (POSIX seconds, ``time.time`` by default): inject a settable clock to test
    redelivery without sleeping. ``wait_seconds`` waits in real time for a message sent
    from another thread. FIFO sends without ``dedup_id`` are never deduplicated unless
    ``content_based_dedup`` is on (then the body's SHA-256 is the id), as on SQS.
    """

    def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Queue.send`."""
        self._check_outage()
        with self._core.lock:
            return self._core.send(body, attributes, delay_seconds, group_id, dedup_id)

    def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.Queue.receive`."""
        got = self._receive_now(max_messages, wait_seconds, visibility_timeout)
        deadline = time.monotonic() + wait_seconds
        with self._core.lock:
            while not got and (left := deadline - time.monotonic()) > 0:
                self._core.lock.wait(min(left, 0.05))
                got = self._core.receive(max_messages, visibility_timeout)
        return got

    def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.Queue.ack`."""
        self._check_outage()
        with self._core.lock:
            self._core.ack(message)

    def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.Queue.change_visibility`."""
        self._check_outage()
        with self._core.lock:
            self._core.change_visibility(message, timeout)


class AsyncInMemoryQueue(_Base):
    """The :class:`serpens.ports.AsyncQueue` twin of :class:`InMemoryQueue`."""

    async def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Queue.send`."""
        self._check_outage()
        with self._core.lock:
            return self._core.send(body, attributes, delay_seconds, group_id, dedup_id)

    async def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.Queue.receive`."""
        got = self._receive_now(max_messages, wait_seconds, visibility_timeout)
        deadline = time.monotonic() + wait_seconds
        while not got and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.01))
            got = self._receive_now(max_messages, 0, visibility_timeout)
        return got

    async def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.Queue.ack`."""
        self._check_outage()
        with self._core.lock:
            self._core.ack(message)

    async def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.Queue.change_visibility`."""
        self._check_outage()
        with self._core.lock:
            self._core.change_visibility(message, timeout)
