"""Column types and engine settings that make SQLite behave like PostgreSQL where it matters.

Both live in ``serpens.database`` (which ``bind()`` applies for you); they are re-exported
here for code that builds its own engines.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens.database._base import UTCDateTime
from serpens.database._engine import install_sqlite_listeners

__all__ = ["UTCDateTime", "configure_sqlite"]


def configure_sqlite(engine: sa.Engine | AsyncEngine) -> None:
    """Make a SQLite engine transactional enough for savepoints, with foreign keys on.

    pysqlite (and aiosqlite on top of it) starts transactions lazily and commits on
    ``SAVEPOINT``'s release, so ``begin_nested()`` would silently commit the outer
    transaction. This applies SQLAlchemy's documented recipe: the driver's own
    transaction handling off, ``BEGIN`` emitted by SQLAlchemy, ``PRAGMA foreign_keys=ON``.
    Engines from ``serpens.database.bind()`` already have it; calling it again is harmless.
    """
    install_sqlite_listeners(engine.sync_engine if isinstance(engine, AsyncEngine) else engine)
