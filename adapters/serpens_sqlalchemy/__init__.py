"""SQLAlchemy adapter of the Repository port (``serpens.database`` re-exports it).

Without ``serpens[postgres]`` (or ``serpens[sqlite]``) importing it names the extra.
"""

from serpens._extras import require

require("sqlalchemy", "postgres")

from serpens_sqlalchemy._async import AsyncRepository  # noqa: E402
from serpens_sqlalchemy._errors import sqlstate_error, translate_errors  # noqa: E402
from serpens_sqlalchemy._queue import PostgresQueue  # noqa: E402
from serpens_sqlalchemy._sync import Repository  # noqa: E402
from serpens_sqlalchemy._types import UTCDateTime, configure_sqlite  # noqa: E402

__all__ = [
    "AsyncRepository",
    "PostgresQueue",
    "Repository",
    "UTCDateTime",
    "configure_sqlite",
    "sqlstate_error",
    "translate_errors",
]
