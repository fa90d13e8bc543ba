"""Column types and engine settings that make SQLite behave like PostgreSQL where it matters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens.errors import FieldError, ValidationError

__all__ = ["UTCDateTime", "configure_sqlite"]


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime that always reads back in UTC, on every backend.

    ``DateTime(timezone=True)`` on SQLite drops the offset and keeps the wall clock
    (12:00-03:00 reads back as 12:00); this type converts to UTC before storing and
    attaches UTC when reading. Naive datetimes are rejected with ``ValidationError``
    rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert to UTC; SQLite stores the naive UTC wall clock."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValidationError(
                "UTCDateTime needs a timezone-aware datetime",
                [FieldError("", f"got {value!r}")],
            )
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


def configure_sqlite(engine: sa.Engine | AsyncEngine) -> None:
    """Make a SQLite engine transactional enough for savepoints, with foreign keys on.

    pysqlite (and aiosqlite on top of it) starts transactions lazily and commits on
    ``SAVEPOINT``'s release, so ``begin_nested()`` would silently commit the outer
    transaction. This applies SQLAlchemy's documented recipe: the driver's own
    transaction handling off, ``BEGIN`` emitted by SQLAlchemy, ``PRAGMA foreign_keys=ON``.
    """
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @sa.event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")
