"""What a caller passed instead of a session, named for the repository's error message."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["_describe"]


def _describe(value: object) -> str:
    """Name what a caller passed instead of a session, for the error message."""
    from sqlalchemy.ext.asyncio import (  # noqa: PLC0415 - the error path only
        AsyncConnection,
        AsyncEngine,
        AsyncSession,
        async_scoped_session,
        async_sessionmaker,
    )
    from sqlalchemy.orm import Session, scoped_session, sessionmaker  # noqa: PLC0415

    kinds: tuple[tuple[type[Any], str], ...] = (
        (async_scoped_session, "an async_scoped_session"),
        (scoped_session, "a scoped_session"),
        (AsyncSession, "an AsyncSession"),
        (Session, "a Session"),
        (async_sessionmaker, "a session factory (async_sessionmaker)"),
        (sessionmaker, "a session factory (sessionmaker)"),
        (AsyncEngine, "an AsyncEngine"),
        (sa.Engine, "an Engine"),
        (AsyncConnection, "an AsyncConnection"),
        (sa.Connection, "a Connection"),
    )
    for kind, text in kinds:
        if isinstance(value, kind):
            return text
    if isinstance(value, type):
        return f"the class {value.__name__} (not a session)"
    return f"a {type(value).__name__}"
