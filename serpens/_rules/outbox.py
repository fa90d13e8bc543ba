"""Sans-I/O rules of the transactional outbox, shared by the fake and the SQL adapter.

The outbox table (:class:`OutboxRecord`, ``serpens_outbox``), the checks of every
argument (before any I/O), and the decisions a store makes on its rows: which messages a
claim takes (:func:`due`), what a claim writes (:func:`take`) and whether a claim still
holds (:func:`holds`). Times are whole milliseconds since the epoch, on the store's
clock (the fake's injected clock, PostgreSQL's ``clock_timestamp()``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from serpens._extras import require

require("sqlalchemy", "postgres")  # the outbox is a table: SQLAlchemy maps it

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, MetaData, String, Text  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402

from serpens._rules.publisher import prepare  # noqa: E402
from serpens._rules.seconds import LONGEST_DELAY, whole_millis  # noqa: E402
from serpens.errors import FieldError, LeaseLostError, ValidationError  # noqa: E402
from serpens.ports import OutboxMessage, Payload  # noqa: E402

__all__ = [
    "BIGINTS",
    "MAX_LIMIT",
    "MAX_SECONDS",
    "OutboxRecord",
    "check_after",
    "check_lease",
    "check_limit",
    "check_message",
    "check_messages",
    "claimable",
    "due",
    "holds",
    "lease_lost",
    "message_of",
    "outbox_metadata",
    "stage",
    "take",
]

MAX_LIMIT = 1000
"""Most messages one claim returns."""
MAX_SECONDS = LONGEST_DELAY
"""Longest lease or retry delay: 366 days."""
BIGINTS = range(-(2**63), 2**63)
"""The ids and tokens a ``bigint`` column holds: no claim was ever issued with others."""

outbox_metadata = MetaData()
"""The metadata of the outbox table: add it to Alembic's ``target_metadata``."""


class _Base(DeclarativeBase):
    metadata = outbox_metadata


class OutboxRecord(_Base):
    """One staged message: a row of ``serpens_outbox``, deleted once delivered.

    ``hidden_until`` (milliseconds since the epoch) is when a claim's lease or a retry's
    delay ends; ``0`` for a message never claimed. ``token`` grows with every claim and
    every retry, so a settled or lapsed claim no longer matches it.
    """

    __tablename__ = "serpens_outbox"
    __table_args__ = (Index("serpens_outbox_ordering", "ordering_key", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    ordering_key: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[int] = mapped_column(BigInteger, default=0)
    hidden_until: Mapped[int] = mapped_column(BigInteger, default=0)

    def __repr__(self) -> str:
        return f"<OutboxRecord {self.id} {self.key} to {self.topic!r}>"


def stage(
    topic: str,
    payload: Payload,
    attributes: Mapping[str, str] | None = None,
    ordering_key: str | None = None,
) -> OutboxRecord:
    """The record :meth:`serpens.ports.Outbox.put` stages, checked as a publish is.

    Raises:
        ValidationError: a malformed topic, attribute or ordering key (a NUL in the key
            included, which the outbox's text column cannot hold), or an empty message.
        SerializationError: a payload that cannot be encoded.
    """
    message = prepare(topic, payload, attributes, ordering_key)
    if "\x00" in message.ordering_key:
        # the key is a text column (indexed, compared by claims): PostgreSQL's text
        # cannot hold NUL, so refuse here rather than at the flush, after other writes
        raise _invalid("ordering_key", "the outbox cannot store a NUL character in a key")
    return OutboxRecord(
        key=uuid.uuid4().hex,
        topic=message.topic,
        payload=message.data,
        attributes=json.dumps(message.attributes, ensure_ascii=False, separators=(",", ":")),
        ordering_key=message.ordering_key,
        attempts=0,
        token=0,
        hidden_until=0,
    )


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError(f"invalid outbox {field}", [FieldError(field, reason)])


def check_limit(limit: object) -> int:
    """Return *limit* if it is an ``int`` from 1 to :data:`MAX_LIMIT` (else ``ValidationError``)."""
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"must be an int from 1 to {MAX_LIMIT:,}, got {limit!r}")
    return limit


def _millis(value: object, field: str, *, zero: bool) -> int:
    millis = whole_millis(value, field, most=MAX_SECONDS, zero=zero)
    if isinstance(millis, FieldError):
        raise ValidationError(f"invalid outbox {field}", [millis])
    return millis


def check_lease(lease: object) -> int:
    """Return *lease* seconds in whole milliseconds, rounded up (> 0, at most 366 days)."""
    return _millis(lease, "lease", zero=False)


def check_after(after: object) -> int:
    """Return a retry's *after* seconds in whole milliseconds, rounded up (0 to 366 days)."""
    return _millis(after, "after", zero=True)


def check_message(message: object) -> OutboxMessage:
    """Return *message* if it is an :class:`OutboxMessage` with ``int`` id and token."""
    if (
        not isinstance(message, OutboxMessage)
        or type(message.id) is not int
        or type(message.token) is not int
    ):
        raise _invalid("message", f"must be an OutboxMessage a store claimed, got {message!r}")
    return message


def claimable(message: OutboxMessage) -> bool:
    """Whether a store could have issued *message*'s claim: id and token fit a ``bigint``.

    A claim outside that range never held, so settling it is a lost lease (or, in
    ``delivered_many``, a message returned), never a database error.
    """
    return message.id in BIGINTS and message.token in BIGINTS


def check_messages(messages: object) -> list[OutboxMessage]:
    """Return *messages* as a list if it is a sequence of at most :data:`MAX_LIMIT` messages.

    Any :class:`~collections.abc.Sequence` but text (a list, a tuple, a ``deque``), as
    the port types it; an iterator could be read only once, so it is refused.

    Raises:
        ValidationError: not a sequence, too many, or one not an :class:`OutboxMessage`.
    """
    if (
        isinstance(messages, Sequence)
        and not isinstance(messages, str | bytes | OutboxMessage)
        and len(messages) <= MAX_LIMIT
    ):
        return [check_message(message) for message in messages]
    size = f" of {len(messages):,}" if isinstance(messages, Sequence) else ""
    raise _invalid(
        "messages",
        f"must be a sequence of at most {MAX_LIMIT:,} OutboxMessages, got "
        f"{type(messages).__name__}{size}",
    )


def due(records: Sequence[OutboxRecord], now: int, limit: int) -> list[OutboxRecord]:
    """The records a claim at *now* takes, of *records* given in ``id`` order.

    Of each ordering key only the first record (the lowest ``id`` not delivered) is a
    candidate, and only while no record of its key is held (``hidden_until > now``: a
    claim's lease or a retry's delay): a unit of work that committed after a higher
    ``id`` of its key was claimed waits for that claim, so a key never has two messages
    in flight. A candidate is taken when it is due (``hidden_until <= now``).
    """
    taken: list[OutboxRecord] = []
    # keys held back whole: a held record of the key, or (below) its head seen already
    heads = {r.ordering_key for r in records if r.ordering_key and r.hidden_until > now}
    for record in records:
        if record.ordering_key:
            if record.ordering_key in heads:
                continue
            heads.add(record.ordering_key)
        if record.hidden_until <= now:
            taken.append(record)
            if len(taken) == limit:
                break
    return taken


def take(record: OutboxRecord, now: int, lease_ms: int) -> OutboxMessage:
    """Claim *record* at *now* for *lease_ms* (changing it) and return the claimed message."""
    record.attempts += 1
    record.token += 1
    record.hidden_until = now + lease_ms
    return message_of(record, lease_ms)


def message_of(row: OutboxRecord | Any, lease_ms: int) -> OutboxMessage:
    """The claimed message of *row* (a record, or a SQL row of the outbox's columns)."""
    return OutboxMessage(
        id=row.id,
        key=row.key,
        topic=row.topic,
        payload=bytes(row.payload),
        attributes={} if row.attributes == "{}" else json.loads(row.attributes),
        ordering_key=row.ordering_key or None,
        attempts=row.attempts,
        token=row.token,
        lease=lease_ms / 1000,
    )


def holds(record: OutboxRecord | None, message: OutboxMessage, now: int) -> bool:
    """Whether *message*'s claim still holds at *now*: same token, lease not over."""
    return record is not None and record.token == message.token and now < record.hidden_until


def lease_lost(message: OutboxMessage) -> LeaseLostError:
    """The error of settling a claim that no longer holds."""
    return LeaseLostError(
        f"the claim of outbox message {message.id} ({message.key}) no longer holds: its lease "
        "ended or it was settled; the message is, or will be, claimed again"
    )
