"""What the async PostgreSQL stores share: a bounded transaction, a missing table told apart.

``AsyncPostgresIdempotencyStore`` and ``AsyncPostgresOutboxStore`` run their statements in
autocommit (or a short transaction) whose round trips their own ``deadline`` bounds,
whatever the engine's, and create their table on the first call that finds it missing.
(The queues bound their transactions the same way, inline: their sync twin is generated.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from serpens_sqlalchemy._deadline import override_transaction

__all__ = ["begin_within", "undefined_table"]

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
