"""The legacy yoyo migration runner of serpens 2.9, kept for services not yet on Alembic.

New services use Alembic (:mod:`serpens.database.alembic`); this module exists so a
service still on yoyo upgrades serpens by changing its version pin. It needs
``serpens[migrations-yoyo]`` (``yoyo-migrations``), imported on first use::

    from serpens import migrations

    migrations.migrate()                  # DATABASE_URL, ./migrations
    migrations.migrate(url, "db/migrations")
    migrations.rollback(count=1)

    # Lambda: Handler: serpens.migrations.migrate_handler
    # (MIGRATIONS_PATH, default "migrations" under the task root)

URLs are normalised as :mod:`serpens.database` does (``postgres://``,
``postgresql+psycopg2://`` and ``postgresql+asyncpg://`` all mean yoyo's psycopg2
``postgresql://``). Migrations are applied under yoyo's lock, so two concurrent runs do
not apply the same migration twice.

Connecting to PostgreSQL is bounded as for :mod:`serpens.database.alembic`:
``DB_CONNECT_TIMEOUT``, TCP keepalives and ``tcp_user_timeout``
(``DB_CLIENT_TIMEOUT_MS``) go to libpq, unless the URL sets them; a server that refuses,
cannot be reached or does not answer in time raises :class:`BackendUnavailableError` /
:class:`BackendTimeoutError` (an outage), not :class:`ConfigurationError`. Statements
get no timeout: a migration's DDL legitimately runs long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from serpens._config import env_str
from serpens._extras import require
from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    mask_url,
)

__all__ = ["MIGRATIONS_PATH", "migrate", "migrate_handler", "pending", "rollback"]

MIGRATIONS_PATH = "MIGRATIONS_PATH"
"""Environment variable naming the migrations folder (default ``migrations``)."""

_SCHEMES = {
    "postgres": "postgresql",
    "postgresql+psycopg2": "postgresql",
    "postgresql+asyncpg": "postgresql",
    "sqlite+aiosqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}


def _yoyo_url(database_url: str | None) -> str:
    url = database_url or env_str("DATABASE_URL")
    if not url:
        raise ConfigurationError("DATABASE_URL is not set and no database_url was given")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(f"invalid database URL: {mask_url(url)}")
    return f"{_SCHEMES.get(scheme.lower(), scheme)}://{rest}"


def _folder(path: str | Path | None) -> str:
    folder = Path(path or env_str(MIGRATIONS_PATH) or "migrations")
    if not folder.is_dir():
        raise NotFoundError(f"migrations folder {str(folder)!r} does not exist")
    return str(folder)


def _bounded(url: str) -> str:
    """*url* with libpq's connect bound and keepalives (:mod:`serpens.database`'s, see below).

    yoyo hands a URL's query parameters to ``psycopg2.connect``; a parameter the URL sets
    itself wins. Only ``postgresql://`` (psycopg2) URLs change.
    """
    if not url.startswith("postgresql://"):
        return url
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - with serpens.database's rules
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    from serpens.database._engine import migration_connect_args  # noqa: PLC0415
    from serpens.database._settings import DatabaseSettings  # noqa: PLC0415

    try:
        args = migration_connect_args(make_url(url), DatabaseSettings.from_env())
    except ArgumentError:  # yoyo reports a URL it cannot read either
        return url
    query = urlencode({name: str(value) for name, value in args.items()})
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _unreachable(exc: Exception, shown: str) -> BackendError | None:
    """The outage a failed connect to PostgreSQL is (psycopg2's ``OperationalError``), if any.

    A refused, unreachable or frozen server is an outage, as a session reports it: a
    passed ``connect_timeout`` is :class:`BackendTimeoutError`, anything else
    :class:`BackendUnavailableError`. libpq's messages name the host, never the password.
    """
    driver_error = any(
        cls.__name__ == "OperationalError" and cls.__module__.split(".")[0] == "psycopg2"
        for cls in type(exc).__mro__
    )
    if not driver_error:
        return None
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    message = f"cannot open {shown} for migrations: {detail}"
    if "timeout expired" in detail:
        return BackendTimeoutError(message)
    return BackendUnavailableError(message)


def _open(database_url: str | None, path: str | Path | None) -> tuple[Any, Any]:
    require("yoyo", "migrations-yoyo")
    import yoyo  # noqa: PLC0415 - needs serpens[migrations-yoyo]

    folder = _folder(path)
    url = _yoyo_url(database_url)
    try:
        backend = yoyo.get_backend(_bounded(url))
    except Exception as exc:  # yoyo raises plain errors; never show the password
        outage = _unreachable(exc, mask_url(url))
        if outage is not None:
            raise outage from exc
        raise ConfigurationError(
            f"cannot open {mask_url(url)} for migrations: {type(exc).__name__}"
        ) from exc
    return backend, yoyo.read_migrations(folder)


def pending(database_url: str | None = None, path: str | Path | None = None) -> list[str]:
    """Return the ids of the migrations in *path* not yet applied, in order."""
    backend, migrations = _open(database_url, path)
    try:
        return [m.id for m in backend.to_apply(migrations)]
    finally:
        backend.connection.close()


def migrate(database_url: str | None = None, path: str | Path | None = None) -> list[str]:
    """Apply every pending migration of *path* (default ``$MIGRATIONS_PATH`` or ``migrations``).

    *database_url* defaults to ``DATABASE_URL``. Returns the ids applied, in order; a
    failing migration is rolled back (yoyo runs each in a transaction) and its error
    propagates.

    Raises:
        ConfigurationError: no URL, or a URL the database cannot be opened with.
        BackendUnavailableError: PostgreSQL refused or cannot be reached.
        BackendTimeoutError: PostgreSQL did not answer within ``DB_CONNECT_TIMEOUT``.
        NotFoundError: the migrations folder does not exist.
        MissingExtraError: ``serpens[migrations-yoyo]`` is not installed.
    """
    backend, migrations = _open(database_url, path)
    try:
        with backend.lock():
            todo = backend.to_apply(migrations)
            backend.apply_migrations(todo)
        return [m.id for m in todo]
    finally:
        backend.connection.close()


def rollback(
    database_url: str | None = None, path: str | Path | None = None, count: int = 1
) -> list[str]:
    """Roll back the *count* most recently applied migrations; return their ids."""
    backend, migrations = _open(database_url, path)
    try:
        with backend.lock():
            todo = backend.to_rollback(migrations)[:count]
            backend.rollback_migrations(todo)
        return [m.id for m in todo]
    finally:
        backend.connection.close()


def migrate_handler(event: Any = None, context: Any = None) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Lambda entry point: :func:`migrate` with ``DATABASE_URL`` and ``MIGRATIONS_PATH``.

    Returns ``{"applied": [ids]}`` so the invocation's result shows what ran.
    """
    return {"applied": migrate()}
