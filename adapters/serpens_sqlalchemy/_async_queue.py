"""``AsyncPostgresQueue``: the :class:`serpens.ports.AsyncQueue` port in PostgreSQL (asyncpg).

A durable queue with SQS semantics (``FOR UPDATE SKIP LOCKED``), for services that have
PostgreSQL but no SQS. Every queue lives as rows of one table (``serpens_queue`` by
default), keyed by the queue's name. Time is the database's ``clock_timestamp()``, so
consumers on different hosts agree on visibility. Receives on a standard queue lock rows
with ``SKIP LOCKED`` and never wait for one another; receives on a FIFO queue take a
per-queue advisory lock so two consumers cannot split a group. The sync and async queues
share the table, the SQL and the rules (``_queue_statements.py``), so sync and async
producers and consumers share queues.

``_queue.py`` is generated from this file (``scripts/unasync.py --check`` checks it).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from serpens._rules.queue import (
    DEDUP_WINDOW_SECONDS,
    DEFAULT_VISIBILITY_TIMEOUT,
    AttributeValue,
    check_receive,
    check_send,
    check_visibility,
    dedup_key,
    visibility_change_error,
)
from serpens.errors import NotFoundError
from serpens.ports import Message
from serpens_sqlalchemy._connect import open_apart
from serpens_sqlalchemy._deadline import override_transaction
from serpens_sqlalchemy._queue_receipts import (
    ACKED,
    TOMBSTONE_SECONDS,
    acknowledged,
    issued,
    message_id,
)
from serpens_sqlalchemy._queue_statements import (
    POLL_SECONDS,
    QueueStatements,
    bound_engine,
    check_async_engine,
    decode_messages,
    translate_queue_errors,
)

__all__ = ["AsyncPostgresQueue"]


class AsyncPostgresQueue:
    """:class:`serpens.ports.AsyncQueue` stored in PostgreSQL.

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` on PostgreSQL (asyncpg).
        name: the queue's name; many queues share one table, sync and async alike.
        fifo: FIFO semantics (group ids required, per-group order, deduplication).
        content_based_dedup: FIFO sends without ``dedup_id`` deduplicate by body.
        visibility_timeout: the default for ``receive`` (seconds).
        table: the table name (``create_table`` creates it and its dedup table).
        deadline: the client-side deadline of each of this queue's round trips (statements,
            commit) in seconds; ``None``: the engine's. An engine without deadlines (not
            from :func:`serpens.database.bind`, which sets ``DB_CLIENT_TIMEOUT_MS``) gets
            this one, or 7 s, for every round trip including the pool's pre-ping. Past it
            the connection is dropped and the call raises ``BackendTimeoutError``; so does
            a connect that passes the driver's connect timeout (libpq's ``connect_timeout``,
            asyncpg's ``timeout``).

    Construction does no I/O (it may install client-side deadlines on *engine*, and makes
    it open each connection in a task of its own, which a cancelled call leaves to finish
    in the background and close: ``serpens_sqlalchemy._connect``); call
    :meth:`create_table` once (it is idempotent).
    Receipts are ``<message id>.<token>``; an ``ack`` of a message this queue already
    acknowledged is harmless (for 12 hours, the longest a receipt lives), a receipt
    that is not one of ours is :class:`NotFoundError`, as on SQS.

    An ``AsyncEngine``'s pool belongs to one event loop: use it on the loop that made it.
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
        check_async_engine(engine)
        bound_engine(engine.sync_engine, deadline)
        open_apart(engine.sync_engine)  # a cancel never lands inside asyncpg's connect
        self._deadline = deadline
        self._engine = engine
        self.name = name
        self.fifo = fifo
        self._content_based_dedup = content_based_dedup
        self._visibility_timeout = visibility_timeout
        self._sql = QueueStatements(table)
        self._what = f"queue {name!r}"

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """A translated transaction bounded by this queue's deadline, if it has one."""
        with translate_queue_errors(self._what):
            async with self._engine.begin() as conn:
                if self._deadline is not None:
                    raw = await conn.get_raw_connection()
                    override_transaction(raw.dbapi_connection, self._deadline)
                yield conn

    async def create_table(self) -> None:
        """Create the queue table, its index and its dedup table if they do not exist.

        Idempotent, and safe on a live queue: it reads the catalog and runs only the DDL
        of what is missing (a table, the index, a column an earlier build did not make),
        so on a complete schema it takes no table lock and never waits for, nor holds
        up, sends and receives in flight. Concurrent calls take turns on an advisory lock.
        """
        schema = self._sql.schema
        async with self._begin() as conn:
            await conn.execute(self._sql.lock, {"k": self._sql.table})
            found = (await conn.execute(schema.catalog)).one()
            for statement in schema.missing(*found):
                await conn.execute(statement)

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
        new_id = uuid.uuid4()
        key = dedup_key(body, dedup_id, fifo=self.fifo, content_based=self._content_based_dedup)
        async with self._begin() as conn:
            if key is not None:
                existing = await self._dedup(conn, key, new_id)
                if existing is not None:
                    return existing
            await conn.execute(
                self._sql.send,
                {
                    "id": new_id,
                    "q": self.name,
                    "body": body,
                    "attrs": json.dumps(attrs),
                    "g": group_id,
                    "delay": float(delay_seconds),
                },
            )
        return str(new_id)

    async def _dedup(self, conn: AsyncConnection, key: str, new_id: uuid.UUID) -> str | None:
        """Claim *key* for *new_id*; return the earlier message's id if still claimed."""
        params = {"q": self.name, "k": key, "id": new_id, "w": float(DEDUP_WINDOW_SECONDS)}
        claimed = await conn.execute(self._sql.dedup_claim, params)
        if claimed.first() is not None:
            return None
        earlier = await conn.execute(self._sql.dedup_earlier, {"q": self.name, "k": key})
        return str(earlier.scalar_one())

    async def _receive_once(self, max_messages: int, timeout: int) -> list[Message]:
        params = {"q": self.name, "n": max_messages, "vt": float(timeout)}
        async with self._begin() as conn:
            if self.fifo:  # a group with a message in flight is held back
                await conn.execute(self._sql.lock, {"k": f"{self._sql.table}:{self.name}"})
            rows = await conn.execute(self._sql.receive(fifo=self.fifo), params)
            found = rows.all()
        return decode_messages(found)

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
            await asyncio.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
            got = await self._receive_once(max_messages, timeout)
        return got

    async def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.AsyncQueue.ack`."""
        acked_id = message_id(message.receipt)
        tombstone = {"q": self.name, "k": f"{ACKED}{acked_id}", "id": acked_id}
        params = {"id": acked_id, "q": self.name, "receipt": message.receipt, "stale": False}
        async with self._begin() as conn:
            gone = (await conn.execute(self._sql.ack_delete, params)).first()
            if gone is None and await self._stale(conn, message, acked_id):
                stale = {**params, "stale": True}
                gone = (await conn.execute(self._sql.ack_delete, stale)).first()
            if gone is not None:
                last = {"receipt": gone.receipt, "n": gone.receive_count}
                life = float(TOMBSTONE_SECONDS)
                await conn.execute(self._sql.ack_tombstone, {**tombstone, **last, "life": life})
                await conn.execute(self._sql.ack_purge, {"q": self.name})
                return
            known = (await conn.execute(self._sql.acked, tombstone)).first()
        if known is None or not acknowledged(message.receipt, known):
            raise NotFoundError(f"no message was delivered with receipt {message.receipt!r}")

    async def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.AsyncQueue.change_visibility`."""
        check_visibility(timeout)
        ident = message_id(message.receipt)
        params = {
            "t": float(timeout),
            "id": ident,
            "q": self.name,
            "receipt": message.receipt,
            "stale": False,
        }
        async with self._begin() as conn:
            result = (await conn.execute(self._sql.change_visibility, params)).one()
            if not result.found and await self._stale(conn, message, ident):
                stale = {**params, "stale": True}
                result = (await conn.execute(self._sql.change_visibility, stale)).one()
        if not result.found:
            raise NotFoundError(f"message {message.id!r} is not in {self._what}")
        if not result.changed:
            raise visibility_change_error(timeout, received_at=result.received_at, now=result.now)

    async def _stale(self, conn: AsyncConnection, message: Message, ident: uuid.UUID) -> bool:
        """Whether *message*'s receipt is a stale one of the delivered message *ident*.

        Called when the receipt is not the message's current one: ``False`` when the
        message is not in the table (acknowledged, or never delivered: ``ack`` answers
        from the acknowledgement's tombstone), ``NotFoundError`` when the message never had
        this receipt.
        """
        row = (await conn.execute(self._sql.delivered, {"id": ident, "q": self.name})).first()
        if row is None:
            return False
        if not issued(message.receipt, row.receipt, row.receive_count):
            raise NotFoundError(f"no message was delivered with receipt {message.receipt!r}")
        return True

    def __repr__(self) -> str:
        return f"AsyncPostgresQueue({self.name!r}, fifo={self.fifo})"
