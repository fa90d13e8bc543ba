"""Declarative bases and ``TimestampMixin``; ``UTCDateTime`` comes from ``serpens_sqlalchemy``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens_sqlalchemy._types import UTCDateTime

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
"""Constraint names Alembic can diff and drop deterministically on every backend.

Opt-in, for a new database: ``declarative_base(naming_convention=NAMING_CONVENTION)``.
:class:`Base` has none, as in serpens 2.9, so databases it created keep matching.
"""


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Default declarative base: plain ``MetaData`` (default schema, no naming convention).

    Constraints get the database's default names (PostgreSQL's ``users_email_key``), as
    with serpens 2.9's ``Base``, so ``alembic revision --autogenerate`` against a
    database that 2.9 created finds nothing to rename.
    """


def declarative_base(
    schema: str | None = None, *, naming_convention: Mapping[str, str] | None = None
) -> type[DeclarativeBase]:
    """Return a new declarative base whose tables live in *schema* unless they say otherwise.

    Each call creates an independent ``MetaData``; use it when one service owns a
    schema (``declarative_base(schema="billing")``). For mypy-friendly code, the
    equivalent class form is ``class Base(DeclarativeBase): metadata = MetaData(schema=...)``.

    Args:
        schema: the default schema of its tables (``None``: the connection's).
        naming_convention: SQLAlchemy's ``MetaData`` naming convention, such as
            :data:`NAMING_CONVENTION`. Default none, as in serpens 2.9: constraints get
            the database's default names. Set it only for a database whose constraints
            were created with it (a new one): against tables named by the database's
            defaults, Alembic's autogenerate would drop and recreate each constraint.
    """
    metadata = MetaData(
        schema=schema,
        naming_convention=dict(naming_convention) if naming_convention is not None else None,
    )
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
