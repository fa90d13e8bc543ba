"""``AsyncPostgresOutboxStore``: the OutboxStore port in PostgreSQL (asyncpg), for a relay.

Services stage messages as rows of ``serpens_outbox`` (:class:`~serpens._rules.outbox.
OutboxRecord`) in the transaction of the rows they change; this store is the relay's
side of that table. Each call is one statement in autocommit, decided on the server's
``clock_timestamp()`` in whole milliseconds (taken once per statement, in a CTE), so
relays on hosts whose clocks disagree agree on when a lease ends. A claim is one
``UPDATE`` of the rows a ``SELECT ... FOR UPDATE SKIP LOCKED`` picked: concurrent claims
skip each other's rows, so no two return one message; a settlement is one conditional
``DELETE`` or ``UPDATE`` of the row whose fencing token still matches and whose lease has
not ended. The decisions are those of :func:`~serpens._rules.outbox.due`,
:func:`~serpens._rules.outbox.take` and :func:`~serpens._rules.outbox.holds`, in SQL.

Every statement is built with SQLAlchemy Core on the model's table, never as text, so an
engine's ``schema_translate_map`` execution option puts the table in the schema it names
(one outbox per schema, a schema per tenant or per test).

Deadlines, the translation of driver errors and connects a cancel never lands in are the
PostgreSQL queue's (``_deadline.py``, ``_queue_statements.py``, ``_connect.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Executable,
    Integer,
    Table,
    bindparam,
    cast,
    delete,
    exists,
    extract,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens._rules.outbox import (
    OutboxRecord,
    check_after,
    check_lease,
    check_limit,
    check_message,
    check_messages,
    claimable,
    lease_lost,
    message_of,
    outbox_metadata,
)
from serpens.ports import OutboxMessage
from serpens_sqlalchemy._queue_statements import (
    translate_queue_errors,
)
from serpens_sqlalchemy._stores import TableStore, begin_within

__all__ = ["AsyncPostgresOutboxStore"]


_TABLE = typing_cast("Table", OutboxRecord.__table__)
_c = _TABLE.c

_clock = select(
    cast(
        func.floor(extract("epoch", func.clock_timestamp()) * literal_column("1000")), BigInteger
    ).label("now")
).cte("clock")
"""The server's time in whole milliseconds since the epoch, taken once per statement."""

_ID = bindparam("message_id", type_=BigInteger)
_TOKEN = bindparam("held_token", type_=BigInteger)


def _claim_statement() -> Executable:
    """Claim up to ``:limit`` due heads for ``:lease`` ms; returns the claimed rows.

    A row is a candidate when it has no ordering key, or no row of its key has a lower id
    (delivered rows are deleted, so that row is the lowest not delivered) and none is
    held (a lease or a retry's delay not over: a unit of work that committed after a
    higher id of its key was claimed waits for that claim); it is taken when due. Rows
    another claim holds locked are skipped, not waited for, and do not count toward the
    limit; a row another claim changed since this statement's snapshot is checked again
    on its new version (read committed), whose ``hidden_until`` is then in the future. A
    snapshot that still sees a row delivered meanwhile only holds its key back until the
    next claim.
    """
    row = _TABLE.alias("o")
    earlier = _TABLE.alias("earlier")
    held = _TABLE.alias("held")
    head = or_(
        row.c.ordering_key == "",
        ~exists().where(earlier.c.ordering_key == row.c.ordering_key, earlier.c.id < row.c.id)
        & ~exists().where(
            held.c.ordering_key == row.c.ordering_key, held.c.hidden_until > _clock.c.now
        ),
    )
    picked = (
        select(row.c.id, _clock.c.now)
        .where(row.c.hidden_until <= _clock.c.now, head)
        .order_by(row.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=row)
        .cte("picked")
    )
    return (
        update(_TABLE)
        .where(_c.id == picked.c.id)
        .values(
            attempts=_c.attempts + 1,
            token=_c.token + 1,
            hidden_until=picked.c.now + bindparam("lease", type_=BigInteger),
        )
        .returning(*_c)
    )


_HOLDS = (_c.id == _ID, _c.token == _TOKEN, _c.hidden_until > _clock.c.now)
"""The claim of ``:message_id`` with ``:held_token`` still holds: same token, lease not over."""

_CLAIM = _claim_statement()
_DELIVERED = delete(_TABLE).where(*_HOLDS).returning(_c.id)
"""Deletes the message while the claim holds; a row when it did."""
_BIGINT_ARRAY = ARRAY(BigInteger)
_CLAIMS = (
    func.unnest(bindparam("ids", type_=_BIGINT_ARRAY), bindparam("tokens", type_=_BIGINT_ARRAY))
    .table_valued("id", "token")
    .render_derived()
)
_DELIVERED_MANY = (
    delete(_TABLE)
    .where(
        tuple_(_c.id, _c.token).in_(select(_CLAIMS.c.id, _CLAIMS.c.token)),
        _c.hidden_until > _clock.c.now,
    )
    .returning(_c.id, _c.token)
)
"""Deletes each claim of ``:ids`` and ``:tokens`` (two arrays, a statement of one text
whatever their length) that holds; a row for each."""
_RETRY = (
    update(_TABLE)
    .where(*_HOLDS)
    .values(token=_c.token + 1, hidden_until=_clock.c.now + bindparam("after", type_=BigInteger))
    .returning(_c.id)
)
"""Ends the claim (a new token) and hides the message ``:after`` ms; a row when it held."""
_PENDING = select(func.count()).select_from(_TABLE)
"""Counts the messages not delivered, claimed or not."""


def _create(conn: Connection) -> None:
    """Create the table and its index if missing, one caller per schema at a time.

    The advisory lock is keyed by the table's name in the schema the connection's
    ``schema_translate_map`` puts it in; the catalog is read after it is taken.
    """
    schema = conn.schema_for_object(_TABLE)
    name = f"{schema}.{_TABLE.name}" if schema else _TABLE.name
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
    outbox_metadata.create_all(conn, checkfirst=True)


class AsyncPostgresOutboxStore(TableStore):
    """An :class:`~serpens.ports.OutboxStore` on the ``serpens_outbox`` table (asyncpg).

    PostgreSQL only (SQLite has neither ``FOR UPDATE SKIP LOCKED`` nor
    ``clock_timestamp()``): use ``InMemoryOutboxStore`` in unit tests. Any number of
    relays may share one table: concurrent claims never return one message, and a claim
    whose relay died is returned again once its lease ends.

    Args:
        engine: a SQLAlchemy ``AsyncEngine`` on PostgreSQL (asyncpg). Its
            ``schema_translate_map`` execution option, if any, names the table's schema
            (``{None: "tenant_a"}``), as it does for the ORM sessions that stage messages.
        deadline: the client-side deadline of each round trip (connect aside: the
            driver's connect timeout, asyncpg's ``timeout``) in seconds; ``None``: the
            engine's. An engine without deadlines (not from :func:`serpens.database.bind`)
            gets this one, or 7 s, for every round trip including the pool's pre-ping.
            Past it the connection is dropped and the call raises ``BackendTimeoutError``.

    Construction does no I/O (it may install client-side deadlines on *engine* and make
    it open each connection in a task of its own, as ``AsyncPostgresQueue`` does). A call
    is one statement in autocommit, without ``BEGIN`` and ``COMMIT`` round trips; the
    table (and its index) is created by the first call that finds it missing, or by
    :meth:`create_table`.

    An ``AsyncEngine``'s pool belongs to one event loop: use it on the loop that made it.
    """

    def __init__(self, engine: AsyncEngine, *, deadline: float | None = None) -> None:
        self._bind(
            engine,
            deadline,
            relies_on="FOR UPDATE SKIP LOCKED and clock_timestamp()",
            fake="InMemoryOutboxStore",
        )
        self.table = _TABLE.name

    def __repr__(self) -> str:
        return f"AsyncPostgresOutboxStore(table={self.table!r})"

    async def create_table(self) -> None:
        """Create the table and its index if they do not exist (idempotent).

        A call that finds the table missing runs this itself; call it at deploy time when
        the relay's role may not create tables (or add ``outbox_metadata`` to Alembic's
        ``target_metadata``). Calls on one schema take turns on an advisory lock, so
        concurrent first calls create the table once; on an existing table it only reads
        the catalog.
        """
        with translate_queue_errors(f"outbox table {self.table!r}"):
            async with begin_within(self._engine, self._deadline) as conn:
                await conn.run_sync(_create)

    async def claim(self, *, limit: int = 100, lease: float = 30.0) -> Sequence[OutboxMessage]:
        """See :meth:`serpens.ports.OutboxStore.claim`.

        One statement: it locks the due heads it picks (skipping rows other claims hold
        locked) and claims them, so concurrent claims never return one message.
        """
        limit = check_limit(limit)
        lease_ms = check_lease(lease)
        rows = await self._rows(_CLAIM, {"limit": limit, "lease": lease_ms}, "outbox claim")
        return [message_of(row, lease_ms) for row in sorted(rows, key=lambda row: row.id)]

    async def delivered(self, message: OutboxMessage) -> None:
        """See :meth:`serpens.ports.OutboxStore.delivered`."""
        message = check_message(message)
        if not await self._settle(_DELIVERED, message, {}):
            raise lease_lost(message)

    async def delivered_many(self, messages: Sequence[OutboxMessage]) -> Sequence[OutboxMessage]:
        """See :meth:`serpens.ports.OutboxStore.delivered_many`.

        One statement: a ``DELETE`` of the rows whose ``(id, token)`` is one of the
        claims' and whose lease has not ended, returning what it deleted.
        """
        checked = check_messages(messages)
        claims = sorted({(m.id, m.token) for m in checked if claimable(m)})
        if not claims:
            return checked
        params = {"ids": [ident for ident, _ in claims], "tokens": [token for _, token in claims]}
        rows = await self._rows(_DELIVERED_MANY, params, "outbox deliveries")
        held = {(row.id, row.token) for row in rows}
        return [m for m in checked if (m.id, m.token) not in held]

    async def retry(self, message: OutboxMessage, *, after: float = 0.0) -> None:
        """See :meth:`serpens.ports.OutboxStore.retry`."""
        message = check_message(message)
        after_ms = check_after(after)
        if not await self._settle(_RETRY, message, {"after": after_ms}):
            raise lease_lost(message)

    async def _settle(
        self, statement: Executable, message: OutboxMessage, params: dict[str, Any]
    ) -> bool:
        """Run a settlement of *message*'s claim: whether the claim held (a row changed).

        An id or token no ``bigint`` holds was never issued, so its claim holds nothing.
        """
        if not claimable(message):
            return False
        params = {"message_id": message.id, "held_token": message.token, **params}
        what = f"outbox message {message.id} ({message.key!r})"
        return bool(await self._rows(statement, params, what))

    async def pending(self) -> int:
        """See :meth:`serpens.ports.OutboxStore.pending`."""
        rows = await self._rows(_PENDING, {}, "outbox count")
        return int(rows[0][0])
