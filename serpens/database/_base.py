"""Declarative bases, the timezone-aware ``UTCDateTime`` type and ``TimestampMixin``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from serpens.errors import FieldError, ValidationError

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "TimestampMixin",
    "UTCDateTime",
    "declarative_base",
    "utcnow",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names Alembic can diff and drop deterministically on every backend."""


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


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


class Base(DeclarativeBase):
    """Default declarative base (metadata with :data:`NAMING_CONVENTION`, default schema)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def declarative_base(schema: str | None = None) -> type[DeclarativeBase]:
    """Return a new declarative base whose tables live in *schema* unless they say otherwise.

    Each call creates an independent ``MetaData``; use it when one service owns a
    schema (``declarative_base(schema="billing")``). For mypy-friendly code, the
    equivalent class form is ``class Base(DeclarativeBase): metadata = MetaData(schema=...)``.
    """
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    namespace: dict[str, Any] = {"metadata": metadata, "__doc__": f"Base for schema {schema!r}."}
    return type("Base", (DeclarativeBase,), namespace)


class TimestampMixin:
    """Adds ``created_at`` and ``updated_at`` (timezone-aware UTC) to a mapped class.

    Both default to the current time in Python (and ``now()`` on the server for rows
    inserted outside the ORM); ``updated_at`` is refreshed on every ORM update.
    """

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now(), nullable=False, sort_order=1000
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
        nullable=False,
        sort_order=1001,
    )
