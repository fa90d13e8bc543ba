"""What the async PostgreSQL stores share: their engines, bounded calls, a table made on use.

``AsyncPostgresIdempotencyStore`` and ``AsyncPostgresOutboxStore`` (both
:class:`TableStore`) refuse any engine but an asyncpg one on PostgreSQL, give it
client-side deadlines unless it has its own, run each call as one autocommit statement
(or a short transaction) whose round trips their own ``deadline`` bounds, whatever the
engine's, and create their table on the first call that finds it missing. (The queues
bound their transactions the same way, inline: their sync twin is generated.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from serpens_sqlalchemy._connect import open_apart
from serpens_sqlalchemy._deadline import override_transaction
from serpens_sqlalchemy._queue_statements import (
    bound_engine,
    check_async_engine,
    translate_queue_errors,
)

__all__ = ["TableStore", "begin_within", "undefined_table"]

_UNDEFINED_TABLE = "42P01"
"""PostgreSQL's SQLSTATE for a table that does not exist."""


@asynccontextmanager
async def begin_within(
    engine: AsyncEngine, deadline: float | None
) -> AsyncIterator[AsyncConnection]:
    """A transaction on *engine* (autocommit on an autocommit engine) bounded by *deadline*.

    ``None`` leaves the engine's own deadline; a number overrides it for each round trip
    until the transaction ends, so stores sharing one engine keep their own.
    """
    async with engine.begin() as conn:
        if deadline is not None:
            raw = await conn.get_raw_connection()
            override_transaction(raw.dbapi_connection, deadline)
        yield conn


def undefined_table(exc: ProgrammingError) -> bool:
    """Whether *exc* is PostgreSQL's "undefined table" (the store creates it, then retries)."""
    return getattr(exc.orig, "pgcode", None) == _UNDEFINED_TABLE


class TableStore:
    """Base of a store kept in one PostgreSQL table: its engines and its bounded calls.

    A subclass calls :meth:`_bind` from its ``__init__`` and defines :meth:`create_table`.
    ``_engine`` runs transactions (read committed, whatever the engine's default);
    ``_autocommit`` single statements, without ``BEGIN`` and ``COMMIT`` round trips.
    """

    _deadline: float | None
    _engine: AsyncEngine
    _autocommit: AsyncEngine

    def _bind(
        self, engine: AsyncEngine, deadline: float | None, *, relies_on: str, fake: str
    ) -> None:
        """Check *engine* (no I/O) and keep its two views; see the module."""
        engine = check_async_engine(
            engine, user=type(self).__name__, relies_on=relies_on, sync_twin=None, fake=fake
        )
        bound_engine(engine.sync_engine, deadline)
        open_apart(engine.sync_engine)  # a cancel never lands inside asyncpg's connect
        self._deadline = deadline
        self._engine = engine.execution_options(isolation_level="READ COMMITTED")
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def create_table(self) -> None:
        """Create the store's table if it does not exist (each subclass says how)."""
        raise NotImplementedError

    async def _rows(
        self, statement: Executable, params: Mapping[str, Any], what: str
    ) -> Sequence[Row[Any]]:
        """Run one statement in autocommit, its errors naming *what*: the rows it returned.

        A missing table is created once (:meth:`create_table`) and the statement run again.
        """
        with translate_queue_errors(what):
            try:
                async with begin_within(self._autocommit, self._deadline) as conn:
                    return (await conn.execute(statement, params)).all()
            except ProgrammingError as exc:
                if not undefined_table(exc):
                    raise
            await self.create_table()
            async with begin_within(self._autocommit, self._deadline) as conn:
                return (await conn.execute(statement, params)).all()
