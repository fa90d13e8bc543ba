"""SQLAlchemy adapter of the Repository port (``serpens.database`` re-exports it).

``SQLAlchemyRepository``/``AsyncSQLAlchemyRepository`` are named for their backend;
``Repository``/``AsyncRepository`` are the same classes under their earlier names.
Without ``serpens[postgres]`` (or ``serpens[sqlite]``) importing it names the extra.
"""

from serpens._extras import require

require("sqlalchemy", "postgres")

from serpens_sqlalchemy._async_repository import AsyncSQLAlchemyRepository  # noqa: E402
from serpens_sqlalchemy._errors import sqlstate_error, translate_errors  # noqa: E402
from serpens_sqlalchemy._queue import PostgresQueue  # noqa: E402
from serpens_sqlalchemy._repository import SQLAlchemyRepository  # noqa: E402
from serpens_sqlalchemy._types import UTCDateTime, configure_sqlite  # noqa: E402

AsyncRepository = AsyncSQLAlchemyRepository
"""The earlier name of :class:`AsyncSQLAlchemyRepository`, kept as an alias."""

Repository = SQLAlchemyRepository
"""The earlier name of :class:`SQLAlchemyRepository`, kept as an alias."""

__all__ = [
    "AsyncRepository",
    "AsyncSQLAlchemyRepository",
    "PostgresQueue",
    "Repository",
    "SQLAlchemyRepository",
    "UTCDateTime",
    "configure_sqlite",
    "sqlstate_error",
    "translate_errors",
]
