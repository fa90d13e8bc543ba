"""The :class:`Queue` port and its async twin: point-to-point queues with SQS semantics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["AsyncQueue", "Message", "Queue"]


@dataclass(frozen=True, slots=True)
class Message:
    """A message received from a :class:`Queue`.

    ``receipt`` identifies this delivery (it changes on redelivery); ``receive_count``
    starts at 1 and grows with each delivery.
    """

    id: str
    body: str
    receipt: str
    receive_count: int
    attributes: Mapping[str, str] = field(default_factory=dict)
    group_id: str | None = None
    sent_at: datetime | None = None


class Queue(Protocol):
    """A point-to-point queue with visibility timeouts (Amazon SQS semantics).

    Shared semantics (pinned by ``serpens_contract.QueueContract``):

    - At-least-once: a received message stays invisible for its visibility timeout
      (the queue's default when ``visibility_timeout`` is ``None``) and is delivered
      again, with ``receive_count`` + 1 and a new ``receipt``, unless acknowledged first.
    - The visibility timeout runs from the receive, however long the message waited
      before it.
    - ``ack`` deletes the delivered message. Receipts behave as on SQS: acknowledging
      twice is harmless; ``change_visibility`` after ``ack`` raises
      :class:`serpens.errors.NotFoundError`; ``ack`` or ``change_visibility`` with a
      receipt this queue never issued (another queue's, or made up) raises
      :class:`serpens.errors.NotFoundError`; ``ack`` with a stale receipt (one whose
      delivery timed out and was redelivered) succeeds, but whether it deletes the
      message is unspecified (SQS: "the request succeeds, but the message might not be
      deleted"), so acknowledge with the latest receipt.
    - ``change_visibility(message, 0)`` makes the message receivable again at once.
      A change counts from the call, and a message stays hidden at most 43,200 s (12
      hours) from the receive that delivered it: a timeout ending past that raises
      :class:`serpens.errors.ValidationError` (SQS's rule), so a heartbeat extending
      by the maximum is refused, even right after the receive.
    - ``delay_seconds`` (standard queues only) keeps a new message invisible that long.
    - FIFO queues (``group_id`` required) deliver in send order within a group and hold back
      every message of a group while one of it is in flight; one ``receive`` may return
      several messages of the same group, in order. A repeated ``dedup_id`` within five
      minutes is accepted but not enqueued twice (the send returns the first message's id);
      a send without ``dedup_id`` is never dropped as a duplicate (unless the queue
      deduplicates by content, an adapter option).
    - Standard queues promise no order.
    - Attributes round-trip as strings (adapters may also accept numbers, which read
      back in decimal form, never with an exponent: ``1e20`` as
      ``"100000000000000000000"``, ``Decimal("1E+2")`` as ``"100"``, ``1e-7`` as
      ``"0.0000001"``; a number is SQS's ``Number``: finite, at most 38 significant
      digits, 0 or of magnitude 1E-128 to 1E+126, else ``ValidationError``). A
      ``StrEnum`` body or value reads back as the plain ``str``. Message ids are unique.
    - Limits are SQS's, counted as SQS counts them: ``max_messages`` 1-10, ``wait_seconds``
      0-20, visibility 0-43200 s, ``delay_seconds`` 0-900 (``max_messages``, visibility
      and ``delay_seconds`` are ``int``: ``1.5``, ``10.0`` and ``True`` are refused, as
      botocore refuses a float), a non-empty body and string attribute values of the
      characters SQS takes (tab, newline, carriage return and Unicode from U+0020,
      without surrogates, U+FFFE and U+FFFF), attributes as a mapping (a list of pairs
      is refused), at most 10 attributes (names of 1-256
      ASCII letters, digits, ``_``, ``-`` or ``.``, no ``.`` first, last or twice in a
      row, no ``AWS.``/``Amazon.`` prefix in any case; values non-empty), and a message
      of at most 262,144 bytes, where the size is the UTF-8 bytes of the body plus, per
      attribute, those of its name, its data type (``String`` or ``Number``) and its
      value as sent (a number's decimal text); FIFO ``group_id`` and ``dedup_id`` are
      1-128 ASCII letters, digits or punctuation. Anything else raises
      :class:`serpens.errors.ValidationError`, as does a FIFO argument on a standard
      queue or a delay on a FIFO queue. Every implementation checks these before any I/O
      (shared rules in ``serpens._rules.queue``), so a send the fake accepts is one SQS
      accepts.
    - An unreachable broker raises :class:`serpens.errors.BackendUnavailableError`; a
      missing queue raises :class:`serpens.errors.NotFoundError`.
    """

    def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, str] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """Enqueue *body* and return its message id."""
        ...

    def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """Return up to *max_messages* visible messages, waiting up to *wait_seconds* for one."""
        ...

    def ack(self, message: Message) -> None:
        """Delete the delivered *message* so it is never delivered again."""
        ...

    def change_visibility(self, message: Message, timeout: int) -> None:
        """Make *message* visible again after *timeout* seconds (0: immediately)."""
        ...


class AsyncQueue(Protocol):
    """Asynchronous twin of :class:`Queue`; every method has the same semantics."""

    async def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, str] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`Queue.send`."""
        ...

    async def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`Queue.receive`."""
        ...

    async def ack(self, message: Message) -> None:
        """See :meth:`Queue.ack`."""
        ...

    async def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`Queue.change_visibility`."""
        ...
