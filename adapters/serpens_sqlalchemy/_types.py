"""Column types and engine settings that make SQLite behave like PostgreSQL where it matters.

``UTCDateTime`` stores UTC on every backend; ``configure_sqlite`` (``install_sqlite_listeners``
underneath) gives SQLite working savepoints and foreign keys. ``serpens.database``
re-exports ``UTCDateTime`` and its ``bind()`` installs the listeners for you; call
``configure_sqlite`` on engines you build yourself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, DateTime, Dialect, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from serpens.errors import ConfigurationError, FieldError, ValidationError

__all__ = ["UTCDateTime", "configure_sqlite", "install_sqlite_listeners"]


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that always stores UTC and always returns aware UTC values.

    PostgreSQL keeps the instant in ``timestamptz``; SQLite and MySQL have no zone
    storage, so the value is converted to UTC and stored naive, then read back as
    UTC (plain ``DateTime(timezone=True)`` on SQLite keeps the wall clock and drops the
    offset). Naive input is rejected with ``ValidationError`` (a ``ValueError``): its
    zone is unknowable.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware *value* to UTC (naive UTC where the backend has no zones)."""
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                "UTCDateTime needs a timezone-aware datetime", [FieldError("", f"got {value!r}")]
            )
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - the TypeDecorator signature
    ) -> datetime | None:
        """Return *value* as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def configure_sqlite(engine: sa.Engine | AsyncEngine) -> None:
    """Make a SQLite engine transactional enough for savepoints, with foreign keys on.

    pysqlite (and aiosqlite on top of it) starts transactions lazily and commits on
    ``SAVEPOINT``'s release, so ``begin_nested()`` would silently commit the outer
    transaction. This applies SQLAlchemy's documented recipe: the driver's own
    transaction handling off, ``BEGIN`` emitted by SQLAlchemy, ``PRAGMA foreign_keys=ON``.
    An ``AUTOCOMMIT`` connection (or engine) gets no ``BEGIN``: its writes commit as they
    run. Engines from ``serpens.database.bind()`` already have it; calling it again is
    harmless.
    Any other engine (or object) raises ``ConfigurationError``: the listeners would
    break a PostgreSQL connection.
    """
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if not isinstance(sync_engine, sa.Engine) or sync_engine.dialect.name != "sqlite":
        what = (
            f"a {sync_engine.dialect.name!r} engine"
            if isinstance(sync_engine, sa.Engine)
            else f"a {type(engine).__name__}"
        )
        raise ConfigurationError(f"configure_sqlite needs a SQLite engine; it was given {what}")
    install_sqlite_listeners(sync_engine)


def install_sqlite_listeners(engine: sa.Engine) -> None:
    """SQLAlchemy's savepoint recipe and ``PRAGMA foreign_keys=ON`` (idempotent)."""
    # The same function objects each time: SQLAlchemy ignores a listener already there.
    if not event.contains(engine, "connect", _sqlite_connect):
        event.listen(engine, "connect", _sqlite_connect)
    if not event.contains(engine, "begin", _sqlite_begin):
        event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # pysqlite opens transactions lazily and never before SAVEPOINT, so a savepoint
    # released first thing would commit for real. SQLAlchemy's documented recipe: the
    # driver stops managing transactions and SQLAlchemy emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # SQLAlchemy never commits an AUTOCOMMIT connection (per connection, or the engine's
    # isolation_level): a BEGIN there would stay open and its writes be rolled back.
    level = connection.get_execution_options().get("isolation_level")
    if level is None:
        level = getattr(connection.dialect, "_on_connect_isolation_level", None)
    if level != "AUTOCOMMIT":
        connection.exec_driver_sql("BEGIN")
