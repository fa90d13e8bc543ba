"""Process-wide engines, the stable session factories, and the session helpers.

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

import asyncio
import dataclasses
import logging
import math
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import Pool

from serpens import _tracing
from serpens._config import env_str
from serpens.database._engine import build_async_engine, build_sync_engine
from serpens.database._errors import commit_error
from serpens.database._settings import DatabaseSettings, validate_search_path
from serpens.database._url import normalize_url, resolve_url, shown_url
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

logger = logging.getLogger("serpens.database")
logger.addFilter(_tracing.LOG_FIELDS)

# A session's own statement_timeout_ms gets this much more on the client-side deadline.
_CLIENT_GRACE_S = 2.0

_SYNC_HINT = (
    "serpens.database is not bound: call serpens.database.bind() "
    "(it reads DATABASE_URL) before opening a session"
)
_ASYNC_HINT = (
    "serpens.database is not bound for async use: call serpens.database.async_bind() "
    "(it reads DATABASE_URL) before opening an async session"
)


class _SessionFactory(sessionmaker[Session]):
    """A sessionmaker that refuses to open a session before ``bind()``."""

    def __call__(self, **local_kw: Any) -> Session:
        if self.kw.get("bind") is None and local_kw.get("bind") is None:
            raise NotInitializedError(_SYNC_HINT)
        return super().__call__(**local_kw)


class _AsyncSessionFactory(async_sessionmaker[AsyncSession]):
    """An async_sessionmaker that refuses to open a session before ``async_bind()``."""

    def __call__(self, **local_kw: Any) -> AsyncSession:
        if self.kw.get("bind") is None and local_kw.get("bind") is None:
            raise NotInitializedError(_ASYNC_HINT)
        return super().__call__(**local_kw)


SessionLocal: sessionmaker[Session] = _SessionFactory(autoflush=False, expire_on_commit=False)
"""Synchronous session factory; bound by :func:`bind`. The caller owns commit/rollback."""

AsyncSessionLocal: async_sessionmaker[AsyncSession] = _AsyncSessionFactory(
    autoflush=False, expire_on_commit=False
)
"""Asynchronous session factory; bound by :func:`async_bind`. The caller owns commit/rollback."""


@dataclasses.dataclass
class _Engines:
    sync: Engine | None = None
    asynchronous: AsyncEngine | None = None


_engines = _Engines()
_lock = threading.Lock()
# Disposals of replaced async engines scheduled on the running loop (kept referenced).
_pending_disposals: set[asyncio.Task[None]] = set()
# Serialises the bind-on-first-use of db_session()/async_db_session() (one engine per side).
_first_use_lock = threading.Lock()


def _settings(
    pool_use_lifo: bool | None, echo: bool | None, search_path: str | None
) -> DatabaseSettings:
    settings = DatabaseSettings.from_env()
    changes: dict[str, Any] = {}
    if pool_use_lifo is not None:
        changes["pool_use_lifo"] = pool_use_lifo
    if echo is not None:
        changes["echo"] = echo
    if search_path is not None:
        changes["search_path"] = validate_search_path(search_path)
    return dataclasses.replace(settings, **changes) if changes else settings


def bind(
    url: str | URL | None = None,
    pool_use_lifo: bool | None = None,
    *,
    echo: bool | None = None,
    search_path: str | None = None,
    poolclass: type[Pool] | None = None,
) -> Engine:
    """Create the process's synchronous engine and bind :data:`SessionLocal` to it.

    Args:
        url: the database URL; ``DATABASE_URL`` when omitted. ``postgres://`` and
            ``postgresql://`` become ``postgresql+psycopg2://``.
        pool_use_lifo: overrides ``DB_POOL_USE_LIFO`` (positional too, as in serpens 2.9).
        echo: overrides ``DB_ECHO``.
        search_path: overrides ``DB_SEARCH_PATH`` (comma-separated schemas, PostgreSQL).
        poolclass: a SQLAlchemy pool class, e.g. ``NullPool`` for tests and proxies.

    Without a URL and without options, an engine already bound is returned as it is
    (serpens 2.9's behaviour: ``bind()`` anywhere means "the process's engine"). Given
    a URL or an option, it replaces (and disposes) the previous engine.
    """
    if url is None and pool_use_lifo is None and echo is None and search_path is None:
        bound = _engines.sync
        if bound is not None and poolclass is None:
            return bound
    settings = _settings(pool_use_lifo, echo, search_path)
    engine_url = normalize_url(resolve_url(url), asynchronous=False)
    engine = build_sync_engine(engine_url, settings, poolclass=poolclass)
    with _lock:
        previous, _engines.sync = _engines.sync, engine
        SessionLocal.configure(bind=engine)
    if previous is not None:
        previous.dispose()
    logger.info("serpens.database bound to %s", shown_url(engine_url))
    return engine


def async_bind(
    url: str | URL | None = None,
    pool_use_lifo: bool | None = None,
    *,
    echo: bool | None = None,
    search_path: str | None = None,
    poolclass: type[Pool] | None = None,
) -> AsyncEngine:
    """Create the process's async engine and bind :data:`AsyncSessionLocal` to it.

    The async twin of :func:`bind`: ``postgres(ql)://`` becomes
    ``postgresql+asyncpg://`` and ``sqlite://`` becomes ``sqlite+aiosqlite://``. It
    does no I/O, so it can run at any point, inside or outside an event loop; a
    replaced engine is disposed on the running loop, or released when none runs.
    Without a URL and without options, an engine already bound is returned as it is.
    """
    if url is None and pool_use_lifo is None and echo is None and search_path is None:
        bound = _engines.asynchronous
        if bound is not None and poolclass is None:
            return bound
    settings = _settings(pool_use_lifo, echo, search_path)
    engine_url = normalize_url(resolve_url(url), asynchronous=True)
    engine = build_async_engine(engine_url, settings, poolclass=poolclass)
    with _lock:
        previous, _engines.asynchronous = _engines.asynchronous, engine
        AsyncSessionLocal.configure(bind=engine)
    if previous is not None:
        _release_async_engine(previous)
    logger.info("serpens.database bound to %s", shown_url(engine_url))
    return engine


def _release_async_engine(engine: AsyncEngine) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        # No loop to close the connections on: drop the pool; the sockets close when collected.
        engine.sync_engine.dispose(close=False)
        return
    task = loop.create_task(engine.dispose())
    _pending_disposals.add(task)
    task.add_done_callback(_pending_disposals.discard)


def get_engine() -> Engine:
    """Return the engine :func:`bind` created; raise NotInitializedError before it."""
    engine = _engines.sync
    if engine is None:
        raise NotInitializedError(_SYNC_HINT)
    return engine


def get_async_engine() -> AsyncEngine:
    """Return the engine :func:`async_bind` created; raise NotInitializedError before it."""
    engine = _engines.asynchronous
    if engine is None:
        raise NotInitializedError(_ASYNC_HINT)
    return engine


def dispose() -> None:
    """Close the synchronous engine's connections and unbind :data:`SessionLocal`."""
    with _lock:
        engine, _engines.sync = _engines.sync, None
        SessionLocal.configure(bind=None)
    if engine is not None:
        engine.dispose()


async def async_dispose() -> None:
    """Close the async engine's connections and unbind :data:`AsyncSessionLocal`.

    Also waits for the disposal of engines an earlier :func:`async_bind` replaced on this
    loop, still closing their connections: once it returns, no connection of theirs is
    left to finish after the loop closes (aiosqlite's worker threads would report it).
    """
    with _lock:
        engine, _engines.asynchronous = _engines.asynchronous, None
        AsyncSessionLocal.configure(bind=None)
    if engine is not None:
        await engine.dispose()
    loop = asyncio.get_running_loop()
    pending = [task for task in _pending_disposals if task.get_loop() is loop]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


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
