"""SQLAlchemy 2.0 with production defaults: engines, session factories, bases, repositories.

``bind()``/``async_bind()`` build the engine from ``DATABASE_URL`` and the ``DB_*``
variables (PostgreSQL timeouts through each driver's startup options, keepalives,
``pool_pre_ping``, Lambda-aware pool sizes) and bind the stable factories
``SessionLocal``/``AsyncSessionLocal``. ``db_session``/``async_db_session`` commit
on success, roll back on error and always close. ``Repository``/``AsyncRepository``
come from the ``serpens_sqlalchemy`` adapter and are imported on first use.

Query construction stays in ``sqlalchemy``: nothing like ``select`` is re-exported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from serpens._extras import require

require("sqlalchemy", "postgres")

from serpens.database._base import (  # noqa: E402 - after the extra check on purpose
    NAMING_CONVENTION,
    Base,
    TimestampMixin,
    UTCDateTime,
    declarative_base,
    utcnow,
)
from serpens.database._sessions import (  # noqa: E402
    AsyncSessionLocal,
    SessionLocal,
    async_bind,
    async_db_session,
    async_dispose,
    bind,
    db_session,
    dispose,
    fastapi_async_session,
    fastapi_session,
    get_async_engine,
    get_engine,
)
from serpens.database._settings import DatabaseSettings, TimeoutMode  # noqa: E402
from serpens.errors import NotFoundError as NotFound  # noqa: E402

if TYPE_CHECKING:
    from serpens_sqlalchemy import AsyncRepository, Repository

__all__ = [
    "NAMING_CONVENTION",
    "AsyncRepository",
    "AsyncSessionLocal",
    "Base",
    "DatabaseSettings",
    "NotFound",
    "Repository",
    "SessionLocal",
    "TimeoutMode",
    "TimestampMixin",
    "UTCDateTime",
    "async_bind",
    "async_db_session",
    "async_dispose",
    "bind",
    "db_session",
    "declarative_base",
    "dispose",
    "fastapi_async_session",
    "fastapi_session",
    "get_async_engine",
    "get_engine",
    "utcnow",
]

_LAZY = frozenset({"AsyncRepository", "Repository"})


def __getattr__(name: str) -> Any:
    """Import the repository classes from the adapter on first access."""
    if name in _LAZY:
        import serpens_sqlalchemy  # noqa: PLC0415 - the adapter loads only when asked for

        value = getattr(serpens_sqlalchemy, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
