"""The PostgreSQL queue over an ``AsyncEngine`` (asyncpg): the ``AsyncQueue`` port.

A hand-written twin of :class:`~serpens_sqlalchemy._queue.PostgresQueue`: the same table,
the same SQL and the same rules, so sync and async producers and consumers share queues.
"""

# ruff: noqa: S608 - the only interpolated name is the table, checked by _check_identifier

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from serpens._rules.queue import (
    DEDUP_WINDOW_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    AttributeValue,
    check_receive,
    check_send,
    check_visibility,
    dedup_key,
)
from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    ValidationError,
)
from serpens.ports import Message
from serpens_sqlalchemy._deadline import override_transaction
from serpens_sqlalchemy._queue import (
    _ACKED,
    _POLL_SECONDS,
    _TOMBSTONE_SECONDS,
    DEFAULT_DEADLINE_SECONDS,
    _bound,
    _check_identifier,
    _ddl,
    _message_id,
    _translate,
)

__all__ = ["AsyncPostgresQueue"]


@contextmanager
def _translate_raw(what: str) -> Iterator[None]:
    """Translate asyncpg's connect errors, which arrive unwrapped (timeout, refused, reset)."""
    try:
        yield
    except TimeoutError as exc:
        raise BackendTimeoutError(f"PostgreSQL did not answer in time ({what})") from exc
    except OSError as exc:
        raise BackendUnavailableError(f"PostgreSQL is unreachable ({what})") from exc


def _check_async_engine(engine: object) -> None:
    """Refuse anything but an ``AsyncEngine`` on PostgreSQL (no I/O)."""
    if not isinstance(engine, AsyncEngine):
        raise ConfigurationError(
            "AsyncPostgresQueue needs a sqlalchemy AsyncEngine on PostgreSQL (asyncpg); "
            f"it was given a {type(engine).__name__}: use PostgresQueue with a sync Engine"
        )
    if engine.dialect.name != "postgresql":
        raise ConfigurationError(
            "AsyncPostgresQueue needs a PostgreSQL engine (it relies on FOR UPDATE SKIP "
            f"LOCKED); this engine is {engine.dialect.name!r}: use AsyncInMemoryQueue in tests"
        )


def _attributes(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


class AsyncPostgresQueue:
    """:class:`serpens.ports.AsyncQueue` stored in PostgreSQL, through asyncpg.

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` on PostgreSQL (asyncpg).
        name: the queue's name; many queues share one table (with ``PostgresQueue`` too).
        fifo: FIFO semantics (group ids required, per-group order, deduplication).
        content_based_dedup: FIFO sends without ``dedup_id`` deduplicate by body.
        visibility_timeout: the default for ``receive`` (seconds).
        table: the table name (``create_table`` creates it and its dedup table).
        deadline: the client-side deadline of each round trip, as for ``PostgresQueue``.

    Construction does no I/O (it may install client-side deadlines on *engine*). An
    ``AsyncEngine``'s pool belongs to one event loop: use the engine on the loop that
    created its connections.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        name: str,
        *,
        fifo: bool = False,
        content_based_dedup: bool = False,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
        table: str = "serpens_queue",
        deadline: float | None = None,
    ) -> None:
        check_visibility(visibility_timeout)
        _check_async_engine(engine)
        if deadline is not None and not deadline > 0:
            raise ValidationError(
                f"deadline must be a positive number of seconds, got {deadline!r}"
            )
        _bound(engine.sync_engine, DEFAULT_DEADLINE_SECONDS if deadline is None else deadline)
        self._engine = engine
        self._deadline = deadline
        self.name = name
        self.fifo = fifo
        self._content_based_dedup = content_based_dedup
        self._visibility_timeout = visibility_timeout
        self._table = _check_identifier(table)
        self._what = f"queue {name!r}"

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """A translated transaction bounded by this queue's deadline, if it has one."""
        with _translate(self._what), _translate_raw(self._what):
            async with self._engine.begin() as conn:
                if self._deadline is not None:
                    raw = await conn.get_raw_connection()
                    override_transaction(raw.dbapi_connection, self._deadline)
                yield conn

    async def create_table(self) -> None:
        """Create the queue table, its index and its dedup table if they do not exist."""
        async with self._begin() as conn:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:t))"), {"t": self._table}
            )
            for statement in _ddl(self._table):
                await conn.execute(text(statement))

    async def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.AsyncQueue.send`."""
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
        async with self._begin() as conn:
            if key is not None:
                existing = await self._dedup(conn, key, message_id)
                if existing is not None:
                    return existing
            await conn.execute(
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
                    "delay": float(delay_seconds),
                },
            )
        return str(message_id)

    async def _dedup(self, conn: AsyncConnection, key: str, message_id: uuid.UUID) -> str | None:
        """Claim *key* for *message_id*; return the earlier message's id if still claimed."""
        claimed = (
            await conn.execute(
                text(
                    f"INSERT INTO {self._table}_dedup AS d (queue, dedup_id, message_id,"
                    " expires_at) VALUES (:q, :k, :id, clock_timestamp()"
                    " + make_interval(secs => :w)) ON CONFLICT (queue, dedup_id) DO UPDATE"
                    " SET message_id = EXCLUDED.message_id, expires_at = EXCLUDED.expires_at"
                    " WHERE d.expires_at <= clock_timestamp() RETURNING d.message_id"
                ),
                {"q": self.name, "k": key, "id": message_id, "w": float(DEDUP_WINDOW_SECONDS)},
            )
        ).first()
        if claimed is not None:
            return None
        earlier = (
            await conn.execute(
                text(
                    f"SELECT message_id FROM {self._table}_dedup WHERE queue = :q AND dedup_id = :k"
                ),
                {"q": self.name, "k": key},
            )
        ).scalar_one()
        return str(earlier)

    async def _receive_once(self, max_messages: int, timeout: int) -> list[Message]:
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
        async with self._begin() as conn:
            if self.fifo:
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"{self._table}:{self.name}"},
                )
            rows = await conn.execute(
                statement, {"q": self.name, "n": max_messages, "vt": float(timeout)}
            )
            found = sorted(rows, key=lambda row: row.seq)
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
            for row in found
        ]

    async def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.AsyncQueue.receive`; waiting polls every 0.1 s."""
        check_receive(max_messages, wait_seconds, visibility_timeout)
        timeout = self._visibility_timeout if visibility_timeout is None else visibility_timeout
        deadline = time.monotonic() + wait_seconds
        got = await self._receive_once(max_messages, timeout)
        while not got and time.monotonic() < deadline:
            await asyncio.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
            got = await self._receive_once(max_messages, timeout)
        return got

    async def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.AsyncQueue.ack`."""
        message_id = _message_id(message.receipt)
        tombstone = {"q": self.name, "k": f"{_ACKED}{message_id}", "id": message_id}
        async with self._begin() as conn:
            deleted = await conn.execute(
                text(
                    f"DELETE FROM {self._table} WHERE id = :id AND queue = :q"
                    " AND receipt IS NOT NULL"
                ),
                {"id": message_id, "q": self.name},
            )
            if deleted.rowcount:
                await conn.execute(
                    text(
                        f"INSERT INTO {self._table}_dedup (queue, dedup_id, message_id,"
                        " expires_at) VALUES (:q, :k, :id, clock_timestamp()"
                        " + make_interval(secs => :life)) ON CONFLICT (queue, dedup_id)"
                        " DO UPDATE SET expires_at = EXCLUDED.expires_at"
                    ),
                    {**tombstone, "life": float(_TOMBSTONE_SECONDS)},
                )
                await conn.execute(
                    text(
                        f"DELETE FROM {self._table}_dedup WHERE queue = :q"
                        " AND expires_at <= clock_timestamp()"
                    ),
                    {"q": self.name},
                )
                return
            acked = (
                await conn.execute(
                    text(
                        f"SELECT 1 FROM {self._table}_dedup WHERE queue = :q AND dedup_id = :k"
                        " AND expires_at > clock_timestamp()"
                    ),
                    tombstone,
                )
            ).first()
        if acked is None:
            raise NotFoundError(f"no message was delivered with receipt {message.receipt!r}")

    async def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.AsyncQueue.change_visibility`."""
        check_visibility(timeout)
        message_id = _message_id(message.receipt)
        async with self._begin() as conn:
            updated = await conn.execute(
                text(
                    f"UPDATE {self._table} SET visible_at = clock_timestamp()"
                    " + make_interval(secs => :t) WHERE id = :id AND queue = :q"
                    " AND receipt IS NOT NULL"
                ),
                {"t": float(timeout), "id": message_id, "q": self.name},
            )
        if not updated.rowcount:
            raise NotFoundError(f"message {message.id!r} is not in {self._what}")

    def __repr__(self) -> str:
        return f"AsyncPostgresQueue({self.name!r}, fifo={self.fifo})"
