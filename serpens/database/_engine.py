"""Engine construction: driver-specific connection arguments, pool tuning and checks.

PostgreSQL timeouts travel through each driver's own mechanism so they survive
rollbacks and pool check-ins (a ``SET`` inside an implicit transaction would be
undone by the first ``ROLLBACK``):

- psycopg2: libpq ``options="-c statement_timeout=..."`` plus client-side
  ``keepalives*``, ``connect_timeout`` and ``application_name``;
- asyncpg: ``server_settings`` (strings) including the server-side
  ``tcp_keepalives_*`` GUCs (asyncpg has no client-side keepalive option), and
  ``timeout`` for connecting.

Those are the server's bounds. A server or network that freezes never answers, so the
client bounds every round trip too (``serpens_sqlalchemy._deadline``):
``DB_CLIENT_TIMEOUT_MS`` for statements, commits and rollbacks, ``DB_PING_TIMEOUT_MS`` for
the pool's pre-ping, libpq ``tcp_user_timeout`` and TCP keepalives on every socket
(asyncpg's set on the socket once connected, as asyncpg has no option for them).

With ``DB_TIMEOUT_MODE=set`` the timeouts are ``SET`` (one statement each, then
committed) when a connection opens instead, and asyncpg's statement caches are off.
Either way the first connection of an engine compares the server's values with the
configured ones and raises :class:`~serpens.errors.ConfigurationError` when a
pooler silently dropped them.
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import Pool, QueuePool

from serpens.database._query import asyncpg_query, check_query
from serpens.database._settings import DatabaseSettings, TimeoutMode
from serpens.database._url import is_memory_sqlite, is_postgres, is_sqlite, shown_url
from serpens.errors import ConfigurationError
from serpens_sqlalchemy._types import install_sqlite_listeners

__all__ = [
    "build_async_engine",
    "build_sync_engine",
    "engine_options",
    "install_sqlite_listeners",
    "migration_connect_args",
]

_KEEPALIVES = {"keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def engine_options(
    url: URL, settings: DatabaseSettings, *, poolclass: type[Pool] | None = None
) -> dict[str, Any]:
    """Return the ``create_engine``/``create_async_engine`` keyword arguments for *url*."""
    options: dict[str, Any] = {
        "echo": settings.echo,
        "pool_pre_ping": True,
        "connect_args": _connect_args(url, settings),
    }
    if poolclass is not None:
        options["poolclass"] = poolclass
    pooled = poolclass is None or issubclass(poolclass, QueuePool)
    # In-memory SQLite uses a single-connection pool that takes no sizing options.
    if pooled and not is_memory_sqlite(url):
        options.update(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            pool_recycle=settings.pool_recycle,
            pool_use_lifo=settings.pool_use_lifo,
        )
    return options


def _connect_args(url: URL, settings: DatabaseSettings) -> dict[str, Any]:
    if is_sqlite(url):
        # SQLite's only analogue of a lock timeout: how long to wait on a busy database.
        return {"timeout": max(settings.lock_timeout_ms, 1000) / 1000}
    if not is_postgres(url):
        return {}
    startup = settings.timeout_mode is TimeoutMode.STARTUP
    gucs = settings.postgres_timeouts() if startup else {}
    if settings.search_path and settings.timeout_mode is not TimeoutMode.SET:
        gucs["search_path"] = settings.search_path
    if url.get_driver_name() == "asyncpg":
        return _asyncpg_args(url, settings, gucs)
    # libpq drivers (psycopg2, psycopg 3): client-side keepalives and startup options.
    args: dict[str, Any] = {
        "application_name": settings.application_name,
        "connect_timeout": settings.connect_timeout,
        "keepalives": 1,
        **_KEEPALIVES,
    }
    if settings.client_timeout_ms:
        # Unacknowledged data past this drops the connection (a dead peer or route).
        args["tcp_user_timeout"] = settings.client_timeout_ms
    # SQLAlchemy lets connect arguments override the URL's: a value the URL gives wins.
    for name in url.query.keys() & args.keys():
        del args[name]
    if gucs:
        # after the URL's own options: the last -c wins, and serpens' timeouts are verified
        ours = " ".join(f"-c {name}={_escape_option(value)}" for name, value in gucs.items())
        theirs = url.query.get("options")
        args["options"] = f"{theirs} {ours}" if isinstance(theirs, str) else ours
    return args


def migration_connect_args(url: URL, settings: DatabaseSettings) -> dict[str, Any]:
    """The libpq arguments of a migration run: a bounded connect, a dead peer detected.

    ``connect_timeout`` (``DB_CONNECT_TIMEOUT``), keepalives, ``tcp_user_timeout``
    (``DB_CLIENT_TIMEOUT_MS``) and ``application_name``, the URL's own values winning; no
    ``statement_timeout``, ``lock_timeout`` or ``search_path``, and no client-side deadline
    per statement: a migration's DDL legitimately runs long, and its runners never applied
    them (serpens 2.9 neither). Empty for anything but a libpq PostgreSQL URL.
    """
    if not is_postgres(url) or url.get_driver_name() == "asyncpg":
        return {}
    relaxed = dataclasses.replace(settings, timeout_mode=TimeoutMode.OFF, search_path=None)
    return _connect_args(url, relaxed)


def _asyncpg_args(url: URL, settings: DatabaseSettings, gucs: dict[str, str]) -> dict[str, Any]:
    """The asyncpg connect arguments: serpens' defaults, the URL's parameters, the timeouts.

    The URL's parameters, translated (:func:`asyncpg_query`), win over serpens' defaults
    (``application_name``, keepalives, the connect timeout); the configured timeouts and
    ``search_path`` win over the URL's settings, as on psycopg2 (they are verified).
    """
    _, from_url = asyncpg_query(url, shown_url(url))
    server_settings = {"application_name": settings.application_name}
    if settings.timeout_mode is TimeoutMode.STARTUP:
        server_settings.update({f"tcp_{name}": str(v) for name, v in _KEEPALIVES.items()})
    server_settings.update(from_url.pop("server_settings", {}))
    server_settings.update(gucs)
    args: dict[str, Any] = {"server_settings": server_settings, "timeout": settings.connect_timeout}
    if settings.timeout_mode is TimeoutMode.SET:
        # Transaction-mode poolers break prepared statements; SQLAlchemy and asyncpg
        # each keep a cache, and both must be off.
        args["statement_cache_size"] = 0
        args["prepared_statement_cache_size"] = 0
    args.update(from_url)
    return args


def _escape_option(value: str) -> str:
    # libpq splits ``options`` on whitespace; a backslash keeps a space in a value.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def _set_statements(settings: DatabaseSettings) -> list[str]:
    statements = [f"SET {name} = {int(ms)}" for name, ms in settings.postgres_timeouts().items()]
    if settings.search_path:
        statements.append(f"SET search_path TO {settings.search_path}")
    return statements


def _install_listeners(engine: Engine, url: URL, settings: DatabaseSettings) -> None:
    """Attach the connect-time hooks (SET mode, SQLite pragmas, the settings check)."""
    if is_sqlite(url):
        install_sqlite_listeners(engine)
        return
    if not is_postgres(url):
        return
    from serpens_sqlalchemy._deadline import bound_round_trips  # noqa: PLC0415 - adapter glue

    bound_round_trips(
        engine,
        statement_s=settings.client_timeout_ms / 1000,
        ping_s=settings.ping_timeout_ms / 1000,
    )
    if url.get_driver_name() == "asyncpg":
        event.listen(engine, "connect", _asyncpg_keepalives(settings))
    if settings.timeout_mode is TimeoutMode.OFF:
        return
    statements = _set_statements(settings) if settings.timeout_mode is TimeoutMode.SET else []
    expected = settings.postgres_timeouts()
    verified = False

    def on_connect(dbapi_connection: Any, _record: object) -> None:
        nonlocal verified
        if statements:
            cursor = dbapi_connection.cursor()
            try:
                # asyncpg cannot run several commands in one prepared statement.
                for statement in statements:
                    cursor.execute(statement)
            finally:
                cursor.close()
            # A session-level SET is kept only once its transaction commits.
            dbapi_connection.commit()
        if not verified:
            _verify_timeouts(dbapi_connection, expected, settings.timeout_mode)
            verified = True

    event.listen(engine, "connect", on_connect)


def _asyncpg_keepalives(settings: DatabaseSettings) -> Any:
    """A ``connect`` hook setting TCP keepalives and ``TCP_USER_TIMEOUT`` on asyncpg's socket."""
    from serpens_sqlalchemy._deadline import connection_socket  # noqa: PLC0415 - adapter glue

    def on_connect(dbapi_connection: Any, _record: object) -> None:
        fd = connection_socket(dbapi_connection)
        if fd is None:
            return
        sock = socket.socket(fileno=fd)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for option, name in _TCP_OPTIONS:
                if hasattr(socket, option):
                    sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), _KEEPALIVES[name])
            if settings.client_timeout_ms and hasattr(socket, "TCP_USER_TIMEOUT"):
                sock.setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, settings.client_timeout_ms
                )
        except OSError:  # not TCP (a Unix socket): nothing to keep alive
            pass
        finally:
            sock.detach()  # asyncpg owns the descriptor

    return on_connect


_TCP_OPTIONS = (
    ("TCP_KEEPIDLE", "keepalives_idle"),
    ("TCP_KEEPINTVL", "keepalives_interval"),
    ("TCP_KEEPCNT", "keepalives_count"),
)


def _verify_timeouts(dbapi_connection: Any, expected: dict[str, str], mode: TimeoutMode) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')"
        )
        actual = {str(name): str(value) for name, value in cursor.fetchall()}
    finally:
        cursor.close()
    dbapi_connection.rollback()
    wrong = sorted(name for name, value in expected.items() if actual.get(name) != value)
    if wrong:
        detail = ", ".join(f"{n}={actual.get(n)!r} (expected {expected[n]})" for n in wrong)
        hint = (
            "a connection pooler may drop startup options; set DB_TIMEOUT_MODE=set"
            if mode is TimeoutMode.STARTUP
            else "the SET statements did not take effect; check the pooler's mode"
        )
        message = f"PostgreSQL did not apply the configured timeouts: {detail}; {hint}"
        raise ConfigurationError(message)


# Query parameters that are secrets: passed to the driver as connect arguments (the same
# keyword arguments SQLAlchemy would build from the query), so ``repr(engine)`` and
# ``engine.url`` never show them.
_SECRET_QUERY = frozenset({"password", "sslpassword"})


def _without_query_secrets(url: URL, options: dict[str, Any]) -> URL:
    secrets = {k: v for k, v in url.query.items() if k.lower() in _SECRET_QUERY}
    if not secrets:
        return url
    options["connect_args"] = {**options.get("connect_args", {}), **secrets}
    return url.difference_update_query(secrets)


def build_sync_engine(
    url: URL, settings: DatabaseSettings, *, poolclass: type[Pool] | None = None
) -> Engine:
    """Create the synchronous engine for *url* with *settings*.

    A PostgreSQL URL parameter neither libpq nor asyncpg takes raises
    ``ConfigurationError`` here, not at the first connection.
    """
    if is_postgres(url):
        check_query(url, shown_url(url))
    options = engine_options(url, settings, poolclass=poolclass)
    engine = create_engine(_without_query_secrets(url, options), **options)
    _install_listeners(engine, url, settings)
    return engine


def build_async_engine(
    url: URL, settings: DatabaseSettings, *, poolclass: type[Pool] | None = None
) -> AsyncEngine:
    """Create the asynchronous engine for *url* with *settings*.

    Its default pool replaces connections opened on another event loop, so scripts and
    workers running one ``asyncio.run`` per job share the engine safely. On asyncpg the
    URL's libpq parameters (``sslmode``, ``connect_timeout``, ``application_name``,
    ``options``, ...) become asyncpg's connect arguments; one it cannot honour raises
    ``ConfigurationError`` here. An asyncpg engine opens each connection in a task of its
    own, so a cancelled call never cancels asyncpg mid-connect
    (``serpens_sqlalchemy/_connect.py``).
    """
    if poolclass is None and not is_memory_sqlite(url):
        from serpens_sqlalchemy._pool import LoopBoundAsyncPool  # noqa: PLC0415 - adapter glue

        poolclass = LoopBoundAsyncPool
    options = engine_options(url, settings, poolclass=poolclass)
    if poolclass is None:  # in-memory SQLite: its one connection holds the whole database
        from serpens_sqlalchemy._pool import SharedConnectionAsyncPool  # noqa: PLC0415

        options.update(poolclass=SharedConnectionAsyncPool, pool_timeout=settings.pool_timeout)
    if url.get_driver_name() == "asyncpg":
        url, _ = asyncpg_query(url, shown_url(url))  # now in options["connect_args"]
    engine = create_async_engine(_without_query_secrets(url, options), **options)
    _install_listeners(engine.sync_engine, url, settings)
    if url.get_driver_name() == "asyncpg":
        from serpens_sqlalchemy._connect import open_apart  # noqa: PLC0415 - adapter glue

        open_apart(engine.sync_engine)  # a cancel never lands inside asyncpg's connect
    return engine
