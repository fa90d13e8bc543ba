"""Process-wide engines, the stable session factories, and the session helpers.

``SessionLocal``, ``AsyncSessionLocal`` and ``bind()``/``async_bind()`` live in
:mod:`serpens.database._binding` and are re-exported here.

``SessionLocal`` and ``AsyncSessionLocal`` are created once, at import, unbound;
``bind()``/``async_bind()`` reconfigure them in place. So
``from serpens.database import SessionLocal`` works whether it runs before or
after ``bind()``, and opening a session from an unbound factory raises a
:class:`~serpens.errors.ConfigurationError` saying what to call.
``db_session()``/``async_db_session()`` (and the FastAPI dependencies built on them) bind
from ``DATABASE_URL`` on first use, as serpens 2.9 did, so a script or handler that never
calls ``bind()`` still works.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from serpens._config import env_str
from serpens.database._binding import (
    AsyncSessionLocal,
    SessionLocal,
    async_bind,
    async_dispose,
    bind,
    dispose,
    get_async_engine,
    get_engine,
)
from serpens.database._binding import _engines as _engines  # noqa: PLC0414 - testgres reads it
from serpens.database._binding import _pending_disposals as _pending_disposals  # noqa: PLC0414
from serpens.database._errors import commit_error
from serpens.errors import ConfigurationError, NotInitializedError

__all__ = [
    "AsyncSessionLocal",
    "SessionLocal",
    "async_bind",
    "async_db_session",
    "async_dispose",
    "bind",
    "db_session",
    "dispose",
    "fastapi_async_session",
    "fastapi_session",
    "get_async_engine",
    "get_engine",
]

logger = logging.getLogger("serpens.database")  # _binding's logger: its filter is added there

# A session's own statement_timeout_ms gets this much more on the client-side deadline.
_CLIENT_GRACE_S = 2.0

# Serialises the bind-on-first-use of db_session()/async_db_session() (one engine per side).
_first_use_lock = threading.Lock()


def _timeout_ms(statement_timeout_ms: object) -> int | None:
    """Return the ``SET LOCAL`` value for *statement_timeout_ms*, or ``None`` for the default.

    ``None`` and values ``<= 0`` keep the engine's ``statement_timeout`` (serpens 2.9's
    rule; ``0`` must never turn the timeout off for one session); numeric strings
    (``"300"``, from a config file or an environment variable) are accepted.
    """
    if statement_timeout_ms is None:
        return None
    value: object = statement_timeout_ms
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                value = None
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(
            "statement_timeout_ms must be a number of milliseconds "
            f"(an int or a numeric string), got {type(statement_timeout_ms).__name__}"
        )
    return value if value > 0 else None


def _local_statement_timeout(session: Session, statement_timeout_ms: int) -> None:
    """Apply ``SET LOCAL statement_timeout`` at the start of every transaction of *session*."""
    statement = f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}"

    from serpens_sqlalchemy._deadline import override_transaction  # noqa: PLC0415 - adapter glue

    client_s = statement_timeout_ms / 1000 + _CLIENT_GRACE_S if statement_timeout_ms else 0.0

    def after_begin(_session: Session, _tx: SessionTransaction, connection: Connection) -> None:
        # SET LOCAL lasts until the transaction ends, so the engine default comes back.
        if connection.dialect.name == "postgresql":
            # the client-side deadline follows, for this transaction only
            override_transaction(connection.connection.dbapi_connection, client_s)
            connection.exec_driver_sql(statement)

    event.listen(session, "after_begin", after_begin)


def _raise_translated(exc: Exception) -> None:
    """Raise the serpens error of a commit-time failure (``ConflictError``, ...), if any.

    Writes left pending (``add(flush=False)``, changed objects) are flushed by the commit,
    so a duplicate key surfaces here: the same error a repository call would raise. It is
    also an instance of SQLAlchemy's error (``IntegrityError``, ``StaleDataError``), which
    serpens 2.9 raised and its services catch.
    """
    mapped = commit_error(exc)
    if mapped is not None:
        raise mapped from exc


def _bound_session() -> Session:
    """Open a ``SessionLocal`` session, binding from ``DATABASE_URL`` first when unbound."""
    if SessionLocal.kw.get("bind") is None:
        with _first_use_lock:
            if SessionLocal.kw.get("bind") is None:
                _bind_on_first_use(asynchronous=False)
    return SessionLocal()


def _bound_async_session() -> AsyncSession:
    """Open an ``AsyncSessionLocal`` session, binding from ``DATABASE_URL`` first when unbound."""
    if AsyncSessionLocal.kw.get("bind") is None:
        with _first_use_lock:
            if AsyncSessionLocal.kw.get("bind") is None:
                _bind_on_first_use(asynchronous=True)
    return AsyncSessionLocal()


def _bind_on_first_use(*, asynchronous: bool) -> None:
    if env_str("DATABASE_URL") is None:
        name = "async_db_session" if asynchronous else "db_session"
        call = "async_bind" if asynchronous else "bind"
        raise NotInitializedError(
            f"serpens.database is not bound and DATABASE_URL is not set: set DATABASE_URL "
            f"({name}() binds from it on first use) or call serpens.database.{call}(url)"
        )
    if asynchronous:
        async_bind()
    else:
        bind()


@contextmanager
def db_session(statement_timeout_ms: int | str | None = None) -> Iterator[Session]:
    """Open a session that commits on success, rolls back on error and always closes.

    A failure of the commit itself (a duplicate key of an object added with
    ``flush=False``, a stale version, a lost connection) raises the serpens error a
    repository call would (``ConflictError``, ``BackendUnavailableError``, ...), from the
    driver's error.

    When nothing is bound yet, the first call binds from ``DATABASE_URL`` (as
    :func:`bind` with no arguments would).

    Args:
        statement_timeout_ms: a PostgreSQL ``statement_timeout`` for this session's
            transactions only (``SET LOCAL``). ``None`` or a value ``<= 0`` keeps the
            engine default; numeric strings are accepted.

    Raises:
        NotInitializedError: nothing is bound and ``DATABASE_URL`` is not set.
        ConfigurationError: *statement_timeout_ms* is not a number.
    """
    timeout = _timeout_ms(statement_timeout_ms)
    session = _bound_session()
    try:
        if timeout is not None:
            _local_statement_timeout(session, timeout)
        yield session
        try:
            session.commit()
        except Exception as exc:
            _raise_translated(exc)
            raise
    except BaseException:
        try:
            session.rollback()
        except Exception:  # a lost connection: the error that got us here matters more
            logger.warning("rollback failed after an error in db_session", exc_info=True)
        raise
    finally:
        session.close()


@asynccontextmanager
async def async_db_session(
    statement_timeout_ms: int | str | None = None,
) -> AsyncIterator[AsyncSession]:
    """Async twin of :func:`db_session`: commit on success, roll back on error, always close.

    Binds from ``DATABASE_URL`` on first use when nothing is bound; *statement_timeout_ms*
    follows :func:`db_session`'s rules; commit-time failures raise serpens errors, as in
    :func:`db_session`.
    """
    timeout = _timeout_ms(statement_timeout_ms)
    session = _bound_async_session()
    try:
        if timeout is not None:
            _local_statement_timeout(session.sync_session, timeout)
        yield session
        try:
            await session.commit()
        except Exception as exc:
            _raise_translated(exc)
            raise
    except BaseException:
        try:
            await session.rollback()
        except Exception:  # a lost connection: the error that got us here matters more
            logger.warning("rollback failed after an error in async_db_session", exc_info=True)
        raise
    finally:
        await session.close()


def fastapi_session() -> Iterator[Session]:
    """FastAPI dependency: one :func:`db_session` per request (``Depends(fastapi_session)``).

    As in serpens 2.9: it binds from ``DATABASE_URL`` on first use, commits when the
    endpoint returns, rolls back when it raises, and always closes.
    """
    with db_session() as session:
        yield session


async def fastapi_async_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one :func:`async_db_session` per request, as :func:`fastapi_session`."""
    async with async_db_session() as session:
        yield session
