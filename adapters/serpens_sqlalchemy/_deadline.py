"""Client-side deadlines for every round trip of an engine: no call waits on a dead server.

PostgreSQL's ``statement_timeout`` is enforced by the server: when the network or the
server freezes after the pool is warm (a partition, a black-holed route, a stuck
proxy), the query never arrives and the driver waits forever, as does
``pool_pre_ping``'s ``SELECT 1``. TCP keepalives and libpq's ``tcp_user_timeout`` catch a
dead peer, not a middlebox that acknowledges and never answers.

:func:`bound_round_trips` wraps the round trips of one engine's dialect (execute,
executemany, commit, rollback, ping, and each fetch of a server-side cursor:
``stream_results``, ``yield_per``, ``AsyncSession.stream``) with a deadline kept by one
watchdog thread per process. When a deadline passes, the watchdog shuts the connection's
socket down: the blocked driver call (psycopg2's ``poll()`` or asyncpg's protocol on its
event loop) sees the connection closed at once, SQLAlchemy invalidates it (the pool
never hands it out again), and the error is marked so that
:func:`~serpens_sqlalchemy._errors.translate` raises
:class:`~serpens.errors.BackendTimeoutError`. A call that ends in time costs a heap push
and a lock; no thread starts per call.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, Final

import sqlalchemy as sa

from serpens._watchdog import Watchdog, watchdog

__all__ = [
    "CONNECT_TIMED_OUT",
    "TIMED_OUT",
    "Watchdog",
    "bound_driver_call",
    "bound_round_trips",
    "connection_socket",
    "has_deadlines",
    "override_transaction",
    "watchdog",
]

TIMED_OUT: Final = "serpens_deadline_s"
"""Attribute set on a driver error raised because its deadline passed (the deadline in s)."""
CONNECT_TIMED_OUT: Final = "timeout expired"
"""libpq's message when a connection's ``connect_timeout`` passes (psycopg2 raises it)."""


def connection_socket(dbapi_connection: Any) -> int | None:
    """The file descriptor of a DBAPI connection's socket (psycopg2, asyncpg), or ``None``."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if callable(fileno):  # psycopg2 / libpq
        with contextlib.suppress(Exception):
            return int(fileno())
        return None
    transport = getattr(dbapi_connection, "_transport", None)  # an asyncpg connection
    if transport is None:  # SQLAlchemy's asyncpg adapter around one
        raw = getattr(dbapi_connection, "_connection", None)
        transport = getattr(raw, "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    return None if sock is None else int(sock.fileno())


# The deadline of the current transaction of a DBAPI connection (by id), when a session
# set its own statement_timeout (``db_session(statement_timeout_ms=...)``); until it ends,
# the deadline cuts the connection, or the pool closes or invalidates it (a connection
# reset mid-transaction). The entry holds the connection itself: while it lives no other
# connection can take its id (the drivers' connections take no weak reference).
_overrides: dict[int, tuple[Any, float]] = {}


def _forget(dbapi_connection: Any, *_args: object) -> None:
    """Drop a connection's deadline when its pool closes or invalidates it (a pool event)."""
    _overrides.pop(id(dbapi_connection), None)


def override_transaction(dbapi_connection: Any, seconds: float) -> None:
    """Use *seconds* (0: unbounded) as the deadline until this transaction ends."""
    _overrides[id(dbapi_connection)] = (dbapi_connection, seconds)


def _deadline(key: int, default: float) -> float:
    """The transaction's own deadline of the connection with id *key*, else *default*."""
    entry = _overrides.get(key) if _overrides else None
    return default if entry is None else entry[1]


def _bounded(
    call: Callable[..., Any],
    seconds: float,
    conn_arg: Callable[[Any], Any],
    *,
    ends_transaction: bool = False,
) -> Any:
    @functools.wraps(call)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        dbapi_connection = conn_arg(args)
        # commit and rollback get the pool's proxy; the override is keyed by the driver's
        key = id(getattr(dbapi_connection, "dbapi_connection", None) or dbapi_connection)
        limit = _deadline(key, seconds)
        if ends_transaction:
            _overrides.pop(key, None)
        fd = connection_socket(dbapi_connection) if limit > 0 else None
        if fd is None:
            return call(*args, **kwargs)
        armed = watchdog.arm(fd, limit)
        try:
            result = call(*args, **kwargs)
        except BaseException as exc:
            if watchdog.disarm(armed):
                _overrides.pop(key, None)  # cut: the connection and its transaction are gone
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(exc, TIMED_OUT, limit)
            raise
        watchdog.disarm(armed)
        return result

    return bounded


def _cursor_connection(args: tuple[Any, ...]) -> Any:
    # psycopg2's cursor knows its connection; asyncpg's adapted cursor its adapted one
    cursor = args[0]
    return getattr(cursor, "_adapt_connection", None) or cursor.connection


def _first(args: tuple[Any, ...]) -> Any:
    return args[0]


# A server-side cursor's fetches and its close: each is a round trip (psycopg2's named
# cursor sends FETCH, MOVE, CLOSE; asyncpg's cursor a portal execute) that no ``do_*``
# method of the dialect sees.
_CURSOR_ROUND_TRIPS: Final = ("close", "fetchall", "fetchmany", "fetchone", "scroll")


class _BoundedCursor:
    """A server-side cursor whose round trips are bounded as the dialect's calls are.

    Everything else (``execute``, ``description``, attributes set on it) goes to the
    driver's cursor: the dialect's bounded ``do_execute`` runs the statement itself.
    """

    __slots__ = ("_serpens_cursor", *_CURSOR_ROUND_TRIPS)

    def __init__(self, cursor: Any, seconds: float) -> None:
        object.__setattr__(self, "_serpens_cursor", cursor)
        connection = _cursor_connection((cursor,))

        def its_connection(_args: tuple[Any, ...]) -> Any:
            return connection

        for name in _CURSOR_ROUND_TRIPS:
            call = getattr(cursor, name, None)
            if call is not None:  # asyncpg's adapted cursor cannot scroll
                object.__setattr__(self, name, _bounded(call, seconds, its_connection))

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_serpens_cursor"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_serpens_cursor"), name, value)


def _bound_server_side_cursors(dialect: Any, seconds: float) -> None:
    """Give *dialect*'s execution contexts server-side cursors bounded by *seconds*."""
    context_class = dialect.execution_ctx_cls

    class BoundedExecutionContext(context_class):  # type: ignore[misc, valid-type]
        def create_server_side_cursor(self) -> Any:
            return _BoundedCursor(super().create_server_side_cursor(), seconds)

    BoundedExecutionContext.__name__ = f"Bounded{context_class.__name__}"
    BoundedExecutionContext.__qualname__ = BoundedExecutionContext.__name__
    dialect.execution_ctx_cls = BoundedExecutionContext


_DIALECT_DEADLINE = "serpens_deadline_s"


@contextlib.contextmanager
def bound_driver_call(
    dialect: sa.Dialect, dbapi_connection: Any, driver_connection: Any, *, otherwise: float = 0.0
) -> Iterator[None]:
    """Bound a call made on the driver itself (asyncpg COPY, ``unnest``), as statements are.

    The deadline is the engine's (see :func:`bound_round_trips`) or the transaction's own
    (:func:`override_transaction`); when neither sets one, *otherwise* (``0``: unbounded).
    """
    seconds = float(getattr(dialect, _DIALECT_DEADLINE, 0.0))
    seconds = _deadline(id(dbapi_connection), seconds) or otherwise
    fd = connection_socket(driver_connection) if seconds > 0 else None
    if fd is None:
        yield
        return
    armed = watchdog.arm(fd, seconds)
    try:
        yield
    except BaseException as exc:
        if watchdog.disarm(armed):
            _overrides.pop(id(dbapi_connection), None)  # cut: its transaction is gone
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, TIMED_OUT, seconds)
        raise
    watchdog.disarm(armed)


def has_deadlines(engine: sa.Engine) -> bool:
    """Whether :func:`bound_round_trips` already ran on *engine* (``0`` included)."""
    return hasattr(engine.dialect, _DIALECT_DEADLINE)


def bound_round_trips(engine: sa.Engine, *, statement_s: float, ping_s: float) -> None:
    """Bound *engine*'s statements, fetches, commits, rollbacks to *statement_s*, pings to *ping_s*.

    ``0`` leaves that kind of call unbounded, except in a transaction that sets its own
    deadline (:func:`override_transaction`: a queue's ``deadline``, a session's
    ``statement_timeout_ms``). Only this engine's dialect instance changes.
    """
    dialect: Any = engine.dialect
    setattr(dialect, _DIALECT_DEADLINE, statement_s)
    for event in ("close", "invalidate", "close_detached"):  # a lost connection's entry
        sa.event.listen(engine.pool, event, _forget)
    # wrapped at 0 too: an unbounded call goes straight through, an overridden one is bounded
    for name in ("do_execute", "do_executemany", "do_execute_no_params"):
        setattr(dialect, name, _bounded(getattr(dialect, name), statement_s, _cursor_connection))
    for name in ("do_commit", "do_rollback"):
        bounded = _bounded(getattr(dialect, name), statement_s, _first, ends_transaction=True)
        setattr(dialect, name, bounded)
    _bound_server_side_cursors(dialect, statement_s)  # FETCH round trips: no do_* method
    if ping_s > 0:
        dialect.do_ping = _bounded(dialect.do_ping, ping_s, _first)
