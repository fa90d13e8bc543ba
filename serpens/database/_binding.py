"""The process-wide engines and the stable session factories that ``bind()`` configures.

``SessionLocal`` and ``AsyncSessionLocal`` are created once, at import, unbound;
``bind()``/``async_bind()`` build the engine and reconfigure them in place, and
``dispose()``/``async_dispose()`` unbind them. Held apart from the session helpers of
:mod:`serpens.database._sessions`, which bind through them on first use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

from serpens import _tracing
from serpens.database._engine import build_async_engine, build_sync_engine
from serpens.database._settings import DatabaseSettings, validate_search_path
from serpens.database._url import normalize_url, resolve_url, shown_url
from serpens.errors import NotInitializedError

__all__ = [
    "AsyncSessionLocal",
    "SessionLocal",
    "async_bind",
    "async_dispose",
    "bind",
    "dispose",
    "get_async_engine",
    "get_engine",
]

logger = logging.getLogger("serpens.database")
logger.addFilter(_tracing.LOG_FIELDS)

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
    On asyncpg each close is bounded like a statement (``DB_CLIENT_TIMEOUT_MS``, 2 s when
    unset), then forced, and the connections close together: a frozen server costs one
    bound, not one per idle connection.
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
    from serpens_sqlalchemy._terminate import closes_settled  # noqa: PLC0415 - adapter glue

    await closes_settled()  # asyncpg closes run apart (bounded): none is left behind
