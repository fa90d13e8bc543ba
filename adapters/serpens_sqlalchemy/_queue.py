"""A durable PostgreSQL queue with SQS semantics (``FOR UPDATE SKIP LOCKED``).

For services that have PostgreSQL but no SQS. Every queue lives as rows of one table
(``serpens_queue`` by default), keyed by the queue's name. Time is the database's
``clock_timestamp()``, so consumers on different hosts agree on visibility. Receives on a
standard queue lock rows with ``SKIP LOCKED`` and never wait for one another; receives
on a FIFO queue take a per-queue advisory lock so two consumers cannot split a group.
"""

# ruff: noqa: S608 - the only interpolated name is the table, checked by _check_identifier

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from serpens._rules.queue import (
    DEDUP_WINDOW_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    MAX_VISIBILITY_TIMEOUT,
    AttributeValue,
    check_receive,
    check_send,
    check_visibility,
    dedup_key,
)
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
    TIMED_OUT,
    bound_round_trips,
    has_deadlines,
    override_transaction,
)

__all__ = ["PostgresQueue"]

_POLL_SECONDS = 0.1
_CONNECT_TIMED_OUT = "timeout expired"  # libpq's message when connect_timeout passes
DEFAULT_DEADLINE_SECONDS = 7.0
"""A round trip's deadline on an engine that has none (``DB_CLIENT_TIMEOUT_MS``'s default)."""
# An acknowledged message leaves a tombstone in the dedup table, so acknowledging it
# again is harmless while a receipt this queue never issued is NotFoundError. The key
# holds a space, which no FIFO deduplication id may contain, and it lives as long as a
# receipt can (the longest visibility timeout).
_ACKED = "acked "
_TOMBSTONE_SECONDS = MAX_VISIBILITY_TIMEOUT


def _ddl(table: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS {table} (
            id uuid PRIMARY KEY,
            queue text NOT NULL,
            seq bigserial NOT NULL,
            body text NOT NULL,
            attributes jsonb NOT NULL,
            group_id text,
            sent_at timestamptz NOT NULL,
            visible_at timestamptz NOT NULL,
            receive_count integer NOT NULL DEFAULT 0,
            receipt text
        )""",
        f"CREATE INDEX IF NOT EXISTS {table}_ready ON {table} (queue, visible_at, seq)",
        f"""CREATE TABLE IF NOT EXISTS {table}_dedup (
            queue text NOT NULL,
            dedup_id text NOT NULL,
            message_id uuid NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (queue, dedup_id)
        )""",
    ]


def _check_identifier(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or len(name) > 50:  # noqa: PLR2004
        raise ValidationError(f"table name {name!r} must be letters, digits and underscores")
    return name


def _message_id(receipt: str) -> uuid.UUID:
    try:
        return uuid.UUID(receipt.split(".", 1)[0])
    except ValueError:
        raise NotFoundError(f"no message was delivered with receipt {receipt!r}") from None


@contextmanager
def _translate(what: str) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        deadline = _timed_out(exc)
        if deadline is not None:
            raise BackendTimeoutError(
                f"PostgreSQL did not answer within {deadline:g} s ({what}); "
                "the connection was dropped"
            ) from exc
        if isinstance(exc, OperationalError) and _CONNECT_TIMED_OUT in str(exc.orig):
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


def _timed_out(exc: BaseException) -> float | None:
    """The client-side deadline that ended *exc* (or the error it replaced), if one did.

    A pooled connection's pre-ping that hit its deadline is replaced by a reconnect; when
    that fails too, the ping's error is the reconnect's context.
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


def _bound(engine: Engine, deadline: float) -> None:
    """Give *engine* client-side deadlines unless it has its own (``bind()`` gives them).

    psycopg2 has no read timeout: without a deadline a statement on a connection to a
    frozen server (or through a black-holed route) waits forever.
    """
    if not has_deadlines(engine):
        bound_round_trips(engine, statement_s=deadline, ping_s=deadline)


def _check_engine(engine: object) -> None:
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


class PostgresQueue:
    """:class:`serpens.ports.Queue` stored in PostgreSQL.

    Args:
        engine: a SQLAlchemy engine on PostgreSQL (psycopg2).
        name: the queue's name; many queues share one table.
        fifo: FIFO semantics (group ids required, per-group order, deduplication).
        content_based_dedup: FIFO sends without ``dedup_id`` deduplicate by body.
        visibility_timeout: the default for ``receive`` (seconds).
        table: the table name (``create_table`` creates it and its dedup table).
        deadline: the client-side deadline of each of this queue's round trips (statements,
            commit) in seconds; ``None``: the engine's. An engine without deadlines (not
            from :func:`serpens.database.bind`, which sets ``DB_CLIENT_TIMEOUT_MS``) gets
            this one, or 7 s, for every round trip including the pool's pre-ping. Past it
            the connection is dropped and the call raises ``BackendTimeoutError``; so does
            a connect that passes libpq's ``connect_timeout``.

    Construction does no I/O (it may install client-side deadlines on *engine*); call
    :meth:`create_table` once (it is idempotent).
    Receipts are ``<message id>.<token>``; an ``ack`` of a message this queue already
    acknowledged is harmless (for 12 hours, the longest a receipt lives), a receipt
    that is not one of ours is :class:`NotFoundError`, as on SQS.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        fifo: bool = False,
        content_based_dedup: bool = False,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
        table: str = "serpens_queue",
        deadline: float | None = None,
    ) -> None:
        check_visibility(visibility_timeout)
        _check_engine(engine)
        if deadline is not None and not deadline > 0:
            raise ValidationError(
                f"deadline must be a positive number of seconds, got {deadline!r}"
            )
        _bound(engine, DEFAULT_DEADLINE_SECONDS if deadline is None else deadline)
        self._deadline = deadline
        self._engine = engine
        self.name = name
        self.fifo = fifo
        self._content_based_dedup = content_based_dedup
        self._visibility_timeout = visibility_timeout
        self._table = _check_identifier(table)
        self._what = f"queue {name!r}"

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction whose round trips are bounded by this queue's deadline, if it has one."""
        with self._engine.begin() as conn:
            if self._deadline is not None:
                override_transaction(conn.connection.dbapi_connection, self._deadline)
            yield conn

    def create_table(self) -> None:
        """Create the queue table, its index and its dedup table if they do not exist."""
        with _translate(self._what), self._begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": self._table})
            for statement in _ddl(self._table):
                conn.execute(text(statement))

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
        attrs = check_send(
            body,
            attributes,
            fifo=self.fifo,
            delay_seconds=delay_seconds,
            group_id=group_id,
            dedup_id=dedup_id,
        )
        message_id = uuid.uuid4()
        key = dedup_key(body, dedup_id, fifo=self.fifo, content_based=self._content_based_dedup)
        with _translate(self._what), self._begin() as conn:
            if key is not None:
                existing = self._dedup(conn, key, message_id)
                if existing is not None:
                    return existing
            conn.execute(
                text(
                    f"INSERT INTO {self._table} (id, queue, body, attributes, group_id, sent_at,"
                    " visible_at) VALUES (:id, :q, :body, CAST(:attrs AS jsonb), :g,"
                    " clock_timestamp(), clock_timestamp() + make_interval(secs => :delay))"
                ),
                {
                    "id": message_id,
                    "q": self.name,
                    "body": body,
                    "attrs": json.dumps(attrs),
                    "g": group_id,
                    "delay": delay_seconds,
                },
            )
        return str(message_id)

    def _dedup(self, conn: Connection, key: str, message_id: uuid.UUID) -> str | None:
        """Claim *key* for *message_id*; return the earlier message's id if still claimed."""
        claimed = conn.execute(
            text(
                f"INSERT INTO {self._table}_dedup AS d (queue, dedup_id, message_id, expires_at)"
                " VALUES (:q, :k, :id, clock_timestamp() + make_interval(secs => :w))"
                " ON CONFLICT (queue, dedup_id) DO UPDATE SET message_id = EXCLUDED.message_id,"
                " expires_at = EXCLUDED.expires_at WHERE d.expires_at <= clock_timestamp()"
                " RETURNING d.message_id"
            ),
            {"q": self.name, "k": key, "id": message_id, "w": DEDUP_WINDOW_SECONDS},
        ).first()
        if claimed is not None:
            return None
        earlier = conn.execute(
            text(f"SELECT message_id FROM {self._table}_dedup WHERE queue = :q AND dedup_id = :k"),
            {"q": self.name, "k": key},
        ).scalar_one()
        return str(earlier)

    def _receive_once(self, max_messages: int, timeout: int) -> list[Message]:
        busy = ""
        if self.fifo:  # a group with a message in flight is held back
            busy = (
                f" AND (group_id IS NULL OR group_id NOT IN (SELECT group_id FROM {self._table}"
                " WHERE queue = :q AND receipt IS NOT NULL AND visible_at > clock_timestamp()))"
            )
        statement = text(
            f"WITH picked AS (SELECT id FROM {self._table} WHERE queue = :q"
            f" AND visible_at <= clock_timestamp(){busy} ORDER BY seq LIMIT :n"
            f" FOR UPDATE SKIP LOCKED) UPDATE {self._table} AS m SET"
            " receive_count = m.receive_count + 1,"
            " receipt = m.id::text || '.' || md5(random()::text || clock_timestamp()::text),"
            " visible_at = clock_timestamp() + make_interval(secs => :vt)"
            " FROM picked WHERE m.id = picked.id RETURNING m.id, m.body, m.attributes,"
            " m.group_id, m.sent_at, m.receive_count, m.receipt, m.seq"
        )
        with _translate(self._what), self._begin() as conn:
            if self.fifo:
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"{self._table}:{self.name}"},
                )
            rows = conn.execute(statement, {"q": self.name, "n": max_messages, "vt": timeout})
            found = sorted(rows, key=lambda row: row.seq)
        return [
            Message(
                id=str(row.id),
                body=row.body,
                receipt=row.receipt,
                receive_count=row.receive_count,
                attributes=dict(row.attributes),
                group_id=row.group_id,
                sent_at=row.sent_at.astimezone(UTC),
            )
            for row in found
        ]

    def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.Queue.receive`; waiting polls every 0.1 s."""
        check_receive(max_messages, wait_seconds, visibility_timeout)
        timeout = self._visibility_timeout if visibility_timeout is None else visibility_timeout
        deadline = time.monotonic() + wait_seconds
        got = self._receive_once(max_messages, timeout)
        while not got and time.monotonic() < deadline:
            time.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
            got = self._receive_once(max_messages, timeout)
        return got

    def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.Queue.ack`."""
        message_id = _message_id(message.receipt)
        tombstone = {"q": self.name, "k": f"{_ACKED}{message_id}", "id": message_id}
        with _translate(self._what), self._begin() as conn:
            deleted = conn.execute(
                text(
                    f"DELETE FROM {self._table} WHERE id = :id AND queue = :q"
                    " AND receipt IS NOT NULL"
                ),
                {"id": message_id, "q": self.name},
            )
            if deleted.rowcount:
                conn.execute(
                    text(
                        f"INSERT INTO {self._table}_dedup (queue, dedup_id, message_id,"
                        " expires_at) VALUES (:q, :k, :id, clock_timestamp()"
                        " + make_interval(secs => :life)) ON CONFLICT (queue, dedup_id)"
                        " DO UPDATE SET expires_at = EXCLUDED.expires_at"
                    ),
                    {**tombstone, "life": _TOMBSTONE_SECONDS},
                )
                conn.execute(
                    text(
                        f"DELETE FROM {self._table}_dedup WHERE queue = :q"
                        " AND expires_at <= clock_timestamp()"
                    ),
                    {"q": self.name},
                )
                return
            acked = conn.execute(
                text(
                    f"SELECT 1 FROM {self._table}_dedup WHERE queue = :q AND dedup_id = :k"
                    " AND expires_at > clock_timestamp()"
                ),
                tombstone,
            ).first()
        if acked is None:
            raise NotFoundError(f"no message was delivered with receipt {message.receipt!r}")

    def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.Queue.change_visibility`."""
        check_visibility(timeout)
        message_id = _message_id(message.receipt)
        with _translate(self._what), self._begin() as conn:
            updated = conn.execute(
                text(
                    f"UPDATE {self._table} SET visible_at = clock_timestamp()"
                    " + make_interval(secs => :t) WHERE id = :id AND queue = :q"
                    " AND receipt IS NOT NULL"
                ),
                {"t": timeout, "id": message_id, "q": self.name},
            )
        if not updated.rowcount:
            raise NotFoundError(f"message {message.id!r} is not in {self._what}")

    def __repr__(self) -> str:
        return f"PostgresQueue({self.name!r}, fifo={self.fifo})"
