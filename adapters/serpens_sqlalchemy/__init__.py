"""SQLAlchemy adapter of the Repository port (``serpens.database`` re-exports it).

``SQLAlchemyRepository``/``AsyncSQLAlchemyRepository`` are named for their backend;
``Repository``/``AsyncRepository`` are the same classes under their earlier names.
Without ``serpens[postgres]`` (or ``serpens[sqlite]``) importing it names the extra.

PostgreSQL also backs a queue (``PostgresQueue``/``AsyncPostgresQueue``) and an
idempotency store (``AsyncPostgresIdempotencyStore``), each in a table of its own.

The repositories, the queues and the idempotency store load on first use:
``serpens.database`` imports ``UTCDateTime`` from here, and a service that only binds
sessions does not pay for them at cold start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from serpens._extras import require

require("sqlalchemy", "postgres")

from serpens_sqlalchemy._errors import sqlstate_error, translate_errors  # noqa: E402
from serpens_sqlalchemy._types import UTCDateTime, configure_sqlite  # noqa: E402

if TYPE_CHECKING:
    from serpens_sqlalchemy._async_queue import AsyncPostgresQueue
    from serpens_sqlalchemy._async_repository import AsyncSQLAlchemyRepository
    from serpens_sqlalchemy._idempotency import AsyncPostgresIdempotencyStore
    from serpens_sqlalchemy._outbox import SQLAlchemyOutbox
    from serpens_sqlalchemy._outbox_store import AsyncPostgresOutboxStore
    from serpens_sqlalchemy._queue import PostgresQueue
    from serpens_sqlalchemy._repository import SQLAlchemyRepository

    AsyncRepository = AsyncSQLAlchemyRepository
    Repository = SQLAlchemyRepository

__all__ = [
    "AsyncPostgresIdempotencyStore",
    "AsyncPostgresOutboxStore",
    "AsyncPostgresQueue",
    "AsyncRepository",
    "AsyncSQLAlchemyRepository",
    "PostgresQueue",
    "Repository",
    "SQLAlchemyOutbox",
    "SQLAlchemyRepository",
    "UTCDateTime",
    "configure_sqlite",
    "sqlstate_error",
    "translate_errors",
]

# public name -> (module, class); the earlier names are aliases of the same classes
_LAZY: dict[str, tuple[str, str]] = {
    "AsyncPostgresIdempotencyStore": ("_idempotency", "AsyncPostgresIdempotencyStore"),
    "AsyncPostgresOutboxStore": ("_outbox_store", "AsyncPostgresOutboxStore"),
    "AsyncPostgresQueue": ("_async_queue", "AsyncPostgresQueue"),
    "AsyncRepository": ("_async_repository", "AsyncSQLAlchemyRepository"),
    "AsyncSQLAlchemyRepository": ("_async_repository", "AsyncSQLAlchemyRepository"),
    "PostgresQueue": ("_queue", "PostgresQueue"),
    "Repository": ("_repository", "SQLAlchemyRepository"),
    "SQLAlchemyOutbox": ("_outbox", "SQLAlchemyOutbox"),
    "SQLAlchemyRepository": ("_repository", "SQLAlchemyRepository"),
}


def __getattr__(name: str) -> Any:
    """Import the repositories, the queues, the idempotency and outbox stores on first access."""
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f"serpens_sqlalchemy.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
