"""Sans-I/O pieces shared by the sync and async PostgreSQL queues.

``PostgresQueue`` (psycopg2) and ``AsyncPostgresQueue`` (asyncpg) keep their messages in
the same table, with the same SQL, so sync and async producers and consumers share
queues. What the two must agree on lives here: the table's DDL and statements, the
decoding of a received row, the checks of their arguments and engines, the engine's
client-side deadlines and the translation of driver errors into serpens errors.
"""

# ruff: noqa: S608 - the only interpolated name is the table, checked by check_identifier

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Row, TextClause, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from serpens._rules.queue import MAX_VISIBILITY_TIMEOUT
from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    ValidationError,
)
from serpens.ports import Message
from serpens_sqlalchemy._deadline import (
    CONNECT_TIMED_OUT,
    TIMED_OUT,
    bound_round_trips,
    has_deadlines,
)
from serpens_sqlalchemy._queue_ddl import QueueSchema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "DEFAULT_DEADLINE_SECONDS",
    "POLL_SECONDS",
    "QueueStatements",
    "bound_engine",
    "check_async_engine",
    "check_engine",
    "check_identifier",
    "decode_messages",
    "translate_queue_errors",
]

POLL_SECONDS = 0.1
"""How often a waiting ``receive`` polls."""
DEFAULT_DEADLINE_SECONDS = 7.0
"""A round trip's deadline on an engine that has none (``DB_CLIENT_TIMEOUT_MS``'s default)."""
# ack and change_visibility act on the message whose current receipt is :receipt, or,
# with :stale, on a message whose stale receipt the caller checked with issued() of
# serpens_sqlalchemy._queue_receipts
_RECEIPT_MATCHES = "(receipt = :receipt OR CAST(:stale AS boolean))"
_MAX_TABLE_NAME = 50


def check_identifier(name: str) -> str:
    """Return *name* if it can be a table name (letters, digits, underscores), else raise."""
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or len(name) > _MAX_TABLE_NAME:
        raise ValidationError(f"table name {name!r} must be letters, digits and underscores")
    return name


def check_engine(engine: object) -> None:
    """Refuse anything but a synchronous PostgreSQL engine (no I/O)."""
    if isinstance(engine, Engine):
        if engine.dialect.name != "postgresql":
            raise ConfigurationError(
                "PostgresQueue needs a PostgreSQL engine (it relies on FOR UPDATE SKIP "
                f"LOCKED); this engine is {engine.dialect.name!r}: use InMemoryQueue in tests"
            )
        return
    from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: PLC0415 - the error path only

    if isinstance(engine, AsyncEngine):
        hint = (
            "it was given an AsyncEngine; PostgresQueue is synchronous: give it a sync "
            "engine (serpens.database.bind()/get_engine()), or use AsyncPostgresQueue "
            "with the AsyncEngine"
        )
    else:
        hint = f"it was given a {type(engine).__name__}"
    raise ConfigurationError(f"PostgresQueue needs a sqlalchemy Engine on PostgreSQL; {hint}")


def check_async_engine(
    engine: object,
    *,
    user: str = "AsyncPostgresQueue",
    relies_on: str = "FOR UPDATE SKIP LOCKED",
    sync_twin: str | None = "PostgresQueue",
    fake: str = "AsyncInMemoryQueue",
) -> AsyncEngine:
    """Return *engine* if it is an ``AsyncEngine`` on PostgreSQL, else refuse it (no I/O).

    The messages name the class that refused it (*user*), what it needs PostgreSQL for
    (*relies_on*), its sync twin if it has one, and the fake to test with instead.
    """
    # not at the top: the sync queue imports this module, and has no use for asyncio's API
    from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: PLC0415

    if not isinstance(engine, AsyncEngine):
        twin = "" if sync_twin is None else f": use {sync_twin} with a sync Engine"
        raise ConfigurationError(
            f"{user} needs a sqlalchemy AsyncEngine on PostgreSQL (asyncpg); "
            f"it was given a {type(engine).__name__}{twin}"
        )
    if engine.dialect.name != "postgresql":
        raise ConfigurationError(
            f"{user} needs a PostgreSQL engine (it relies on {relies_on}); "
            f"this engine is {engine.dialect.name!r}: use {fake} in tests"
        )
    return engine


def bound_engine(engine: Engine, deadline: float | None) -> None:
    """Check *deadline*; give *engine* client-side deadlines unless it has its own.

    ``bind()`` gives its engines theirs (``DB_CLIENT_TIMEOUT_MS``); any other engine gets
    *deadline*, or :data:`DEFAULT_DEADLINE_SECONDS`, for every round trip including the
    pool's pre-ping. psycopg2 has no read timeout: without a deadline a statement on a
    connection to a frozen server (or through a black-holed route) waits forever. The
    async queue passes its ``AsyncEngine``'s ``sync_engine``, whose dialect asyncpg's
    calls go through.
    """
    if deadline is not None and not deadline > 0:
        raise ValidationError(f"deadline must be a positive number of seconds, got {deadline!r}")
    if not has_deadlines(engine):
        seconds = DEFAULT_DEADLINE_SECONDS if deadline is None else deadline
        bound_round_trips(engine, statement_s=seconds, ping_s=seconds)


def _timed_out(exc: BaseException) -> float | None:
    """The client-side deadline that ended *exc*, if one did.

    The deadline is marked on the driver's error, which SQLAlchemy's error holds as
    ``orig`` (and as its cause); the errors it was raised from or while handling are
    looked at too, a few links down. A pre-ping past its deadline is not among them:
    SQLAlchemy drops the ping's error before it reconnects, so a reconnect that fails
    too is reported by its own error (libpq's ``connect_timeout``).
    """
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        for candidate in (seen, getattr(seen, "orig", None)):
            deadline = getattr(candidate, TIMED_OUT, None)
            if isinstance(deadline, float | int):
                return float(deadline)
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def translate_queue_errors(what: str) -> Iterator[None]:
    """Re-raise the driver's and SQLAlchemy's errors of a queue call as serpens errors.

    Not :func:`serpens_sqlalchemy._errors.translate_errors`: a queue's outages are told
    apart by more than the SQLSTATE. A client-side deadline found anywhere on the chain
    (a pre-ping past it, then a failed reconnect) and libpq's ``connect_timeout`` are
    ``BackendTimeoutError``; a missing table is ``NotFoundError``; any other operational
    error or lost connection is ``BackendUnavailableError``, the rest ``BackendError``.
    asyncpg's connect errors arrive unwrapped: ``TimeoutError`` is a timeout, another
    ``OSError`` (refused, reset) unavailable; psycopg2 raises neither.
    """
    try:
        yield
    except DBAPIError as exc:
        deadline = _timed_out(exc)
        if deadline is not None:
            raise BackendTimeoutError(
                f"PostgreSQL did not answer within {deadline:g} s ({what}); "
                "the connection was dropped"
            ) from exc
        if isinstance(exc, OperationalError) and CONNECT_TIMED_OUT in str(exc.orig):
            # libpq's connect_timeout: the server accepted nothing, or never answered
            raise BackendTimeoutError(
                f"PostgreSQL did not answer the connection in time ({what})"
            ) from exc
        if getattr(exc.orig, "pgcode", None) == "42P01":
            raise NotFoundError(f"{what}: the queue table does not exist") from exc
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            raise BackendUnavailableError(f"PostgreSQL is unreachable ({what})") from exc
        raise BackendError(f"PostgreSQL failed on {what}") from exc
    except SQLAlchemyError as exc:
        raise BackendError(f"PostgreSQL failed on {what}") from exc
    except TimeoutError as exc:
        raise BackendTimeoutError(f"PostgreSQL did not answer in time ({what})") from exc
    except OSError as exc:
        raise BackendUnavailableError(f"PostgreSQL is unreachable ({what})") from exc


def _attributes(value: Any) -> dict[str, Any]:
    # psycopg2 decodes jsonb into a dict, and so does SQLAlchemy's asyncpg dialect (the
    # jsonb codec it sets on each connection); text from any other path is parsed
    return dict(json.loads(value) if isinstance(value, str) else value)


def decode_messages(rows: Iterable[Row[Any]]) -> list[Message]:
    """The messages of the rows :meth:`QueueStatements.receive` returned, in send order."""
    return [
        Message(
            id=str(row.id),
            body=row.body,
            receipt=row.receipt,
            receive_count=row.receive_count,
            attributes=_attributes(row.attributes),
            group_id=row.group_id,
            sent_at=row.sent_at.astimezone(UTC),
        )
        for row in sorted(rows, key=lambda row: row.seq)
    ]


class QueueStatements:
    """The statements of the queues kept in one table (built once per queue, no I/O).

    Time is the database's ``clock_timestamp()``, so consumers on different hosts agree
    on visibility; intervals are ``make_interval(secs => ...)`` of a float parameter.
    """

    __slots__ = (
        "_receive",
        "ack_delete",
        "ack_purge",
        "ack_tombstone",
        "acked",
        "change_visibility",
        "dedup_claim",
        "dedup_earlier",
        "delivered",
        "lock",
        "schema",
        "send",
        "table",
    )

    def __init__(self, table: str) -> None:
        self.table = t = check_identifier(table)
        #: a transaction-scoped advisory lock on ``:k``: one ``create_table`` per table,
        #: one FIFO receive per queue (two consumers cannot split a group)
        self.lock = text("SELECT pg_advisory_xact_lock(hashtext(:k))")
        self.schema = QueueSchema(t)
        self.send = text(
            f"INSERT INTO {t} (id, queue, body, attributes, group_id, sent_at, visible_at)"
            " VALUES (:id, :q, :body, CAST(:attrs AS jsonb), :g, clock_timestamp(),"
            " clock_timestamp() + make_interval(secs => :delay))"
        )
        #: claims dedup id ``:k`` for message ``:id`` unless a live claim holds it
        self.dedup_claim = text(
            f"INSERT INTO {t}_dedup AS d (queue, dedup_id, message_id, expires_at)"
            " VALUES (:q, :k, :id, clock_timestamp() + make_interval(secs => :w))"
            " ON CONFLICT (queue, dedup_id) DO UPDATE SET message_id = EXCLUDED.message_id,"
            " expires_at = EXCLUDED.expires_at WHERE d.expires_at <= clock_timestamp()"
            " RETURNING d.message_id"
        )
        self.dedup_earlier = text(
            f"SELECT message_id FROM {t}_dedup WHERE queue = :q AND dedup_id = :k"
        )
        self._receive = (self._receive_statement(fifo=False), self._receive_statement(fifo=True))
        #: the delivered message a receipt names, locked, to check a receipt that is not
        #: its current one (:func:`issued`): the acks and changes above match the current
        #: receipt in the statement itself, and only a miss pays this round trip
        self.delivered = text(
            f"SELECT receipt, receive_count FROM {t} WHERE id = :id AND queue = :q"
            " AND receipt IS NOT NULL FOR UPDATE"
        )
        #: deletes the delivered message, returning its current receipt for the tombstone
        self.ack_delete = text(
            f"DELETE FROM {t} WHERE id = :id AND queue = :q AND receipt IS NOT NULL"
            f" AND {_RECEIPT_MATCHES} RETURNING receipt, receive_count"
        )
        #: the tombstone keeps the last receipt and its receive count, so a second ack is
        #: checked by :func:`issued` as an ack of the delivered message is
        self.ack_tombstone = text(
            f"INSERT INTO {t}_dedup"
            " (queue, dedup_id, message_id, expires_at, receipt, receive_count)"
            " VALUES (:q, :k, :id, clock_timestamp() + make_interval(secs => :life),"
            " :receipt, :n)"
            " ON CONFLICT (queue, dedup_id) DO UPDATE SET expires_at = EXCLUDED.expires_at,"
            " receipt = EXCLUDED.receipt, receive_count = EXCLUDED.receive_count"
        )
        self.ack_purge = text(
            f"DELETE FROM {t}_dedup WHERE queue = :q AND expires_at <= clock_timestamp()"
        )
        #: the tombstone of an acknowledged message (``receipt`` NULL when an earlier
        #: build, which kept none, acknowledged it)
        self.acked = text(
            f"SELECT receipt, receive_count FROM {t}_dedup WHERE queue = :q AND dedup_id = :k"
            " AND expires_at > clock_timestamp()"
        )
        #: one row: whether the message is in flight (``found``), whether its visibility
        #: changed (``changed``: not past 12 hours from its receive), the receive's and
        #: the statement's times (POSIX seconds) for the error; rows received before the
        #: ``received_at`` column existed (NULL) are not held to the 12 hours
        self.change_visibility = text(
            "WITH c AS (SELECT clock_timestamp() AS now),"
            f" m AS (SELECT id, received_at FROM {t} WHERE id = :id AND queue = :q"
            f" AND receipt IS NOT NULL AND {_RECEIPT_MATCHES} FOR UPDATE),"
            f" u AS (UPDATE {t} AS x SET visible_at = c.now + make_interval(secs => :t)"
            " FROM m, c WHERE x.id = m.id AND (m.received_at IS NULL"
            " OR c.now + make_interval(secs => :t)"
            f" <= m.received_at + make_interval(secs => {MAX_VISIBILITY_TIMEOUT}))"
            " RETURNING x.id)"
            " SELECT EXISTS (SELECT 1 FROM m) AS found, EXISTS (SELECT 1 FROM u) AS changed,"
            " (SELECT extract(epoch FROM received_at) FROM m)::float8 AS received_at,"
            " extract(epoch FROM c.now)::float8 AS now FROM c"
        )

    def receive(self, *, fifo: bool) -> TextClause:
        """Take up to ``:n`` visible messages of queue ``:q`` for ``:vt`` seconds.

        ``SKIP LOCKED``: receives never wait for one another. On a FIFO queue a group with
        a message in flight is held back (take :attr:`lock` first).
        """
        return self._receive[fifo]

    def _receive_statement(self, *, fifo: bool) -> TextClause:
        t = self.table
        busy = ""
        if fifo:
            busy = (
                f" AND (group_id IS NULL OR group_id NOT IN (SELECT group_id FROM {t}"
                " WHERE queue = :q AND receipt IS NOT NULL AND visible_at > clock_timestamp()))"
            )
        return text(
            f"WITH picked AS (SELECT id FROM {t} WHERE queue = :q"
            f" AND visible_at <= clock_timestamp(){busy} ORDER BY seq LIMIT :n"
            f" FOR UPDATE SKIP LOCKED) UPDATE {t} AS m SET"
            " receive_count = m.receive_count + 1,"
            " receipt = m.id::text || '.' || md5(coalesce(split_part(m.receipt, '.', 2),"
            " random()::text || clock_timestamp()::text)),"
            " visible_at = clock_timestamp() + make_interval(secs => :vt),"
            " received_at = clock_timestamp()"
            " FROM picked WHERE m.id = picked.id RETURNING m.id, m.body, m.attributes,"
            " m.group_id, m.sent_at, m.receive_count, m.receipt, m.seq"
        )
