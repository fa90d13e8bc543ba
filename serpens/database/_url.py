"""Database URL parsing and scheme normalisation (sync psycopg2, async asyncpg/aiosqlite)."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from serpens.envvars import get_str
from serpens.errors import ConfigurationError, mask_url

__all__ = [
    "is_memory_sqlite",
    "is_postgres",
    "is_sqlite",
    "normalize_url",
    "resolve_url",
    "shown_url",
]

_POSTGRES_NAMES = frozenset({"postgres", "postgresql"})
# Drivers that work on both sides and are therefore kept as the user wrote them.
_DUAL_POSTGRES_DRIVERS = frozenset({"psycopg"})


class _URLNotSetError(ConfigurationError, ArgumentError):
    """No URL given and ``DATABASE_URL`` unset: also SQLAlchemy's ``ArgumentError``.

    serpens 2.9 passed ``None`` to ``create_engine``, which raised ``ArgumentError``, so
    ``except ArgumentError`` written for it keeps catching this.
    """


def resolve_url(url: str | URL | None) -> str | URL:
    """Return *url*, or ``DATABASE_URL`` when *url* is ``None``; raise when neither is set.

    As in serpens 2.9, ``DATABASE_URL`` may be a reference, ``secrets://ID?KEY`` or
    ``parameters://NAME``, resolved through :func:`serpens.envvars.get_str`.
    """
    if url is not None:
        return url
    from_env = get_str("DATABASE_URL")
    if from_env is None:
        raise _URLNotSetError(
            "DATABASE_URL is not set: set it, or pass the URL to bind()/async_bind()"
        )
    return from_env


def normalize_url(raw: str | URL, *, asynchronous: bool) -> URL:
    """Parse *raw* and pick the driver: psycopg2/pysqlite when sync, asyncpg/aiosqlite when async.

    ``postgres://`` and ``postgresql://`` (with no driver, or the other side's driver)
    are rewritten; ``postgresql+psycopg://`` (psycopg 3) serves both sides and is
    kept. Other databases pass through unchanged. A malformed URL raises
    :class:`~serpens.errors.ConfigurationError` with the password masked.
    """
    try:
        url = raw if isinstance(raw, URL) else make_url(raw)
    except (ArgumentError, ValueError):
        shown = mask_url(raw) if isinstance(raw, str) else "<URL>"
        if isinstance(raw, str) and "://" not in raw and "=" in raw:
            raise ConfigurationError(
                "the database setting is a libpq keyword DSN (host=... dbname=...), not a URL: "
                f"write it as postgresql://user:password@host:5432/dbname ({shown})"
            ) from None
        raise ConfigurationError(f"invalid database URL: {shown}") from None
    if url.password is not None and "@" in f"{url.host or ''}{url.database or ''}":
        # "user:p@ss@host": the parser stops the password at the first "@", so part of
        # the password would become the host (and show up in connection errors).
        raise ConfigurationError(
            "the password in the database URL contains '@' (or the URL has two userinfo "
            "parts): percent-encode it ('@' is %40, '/' is %2F, a space %20), e.g. with "
            f"urllib.parse.quote(password, safe=''): {shown_url(raw)}"
        )
    backend, _, driver = url.drivername.partition("+")
    if backend in _POSTGRES_NAMES:
        if driver in _DUAL_POSTGRES_DRIVERS:
            return url.set(drivername=f"postgresql+{driver}")
        return url.set(drivername="postgresql+asyncpg" if asynchronous else "postgresql+psycopg2")
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite+pysqlite")
    return url


def shown_url(url: str | URL) -> str:
    """Return *url* as text safe for messages and logs (password and secrets masked)."""
    text = url.render_as_string(hide_password=True) if isinstance(url, URL) else url
    return mask_url(text)


def is_postgres(url: URL) -> bool:
    """Return whether *url* points at PostgreSQL."""
    return url.get_backend_name() == "postgresql"


def is_sqlite(url: URL) -> bool:
    """Return whether *url* points at SQLite."""
    return url.get_backend_name() == "sqlite"


def is_memory_sqlite(url: URL) -> bool:
    """Return whether *url* is an in-memory SQLite database (its own single-connection pool)."""
    database = url.database or ""
    return is_sqlite(url) and (
        database in {"", ":memory:"}
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )
