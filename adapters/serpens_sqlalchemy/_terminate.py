"""asyncpg connections a cancel invalidates are closed behind the caller, not before it ends.

When a cancel (``task.cancel()``, ``asyncio.timeout``) lands in a statement, SQLAlchemy
invalidates the connection, and its asyncpg adapter's ``terminate()`` makes a graceful
close (sqlalchemy/sqlalchemy#10717): ``await connection.close(timeout=2)`` under
``asyncio.shield``, then a forced close if that fails. On a frozen server or network the
graceful close waits its full 2 s, shielded from the cancel, so the cancelled call ends
2 s past its deadline.

:func:`close_at_once` changes that on one engine's dialect, only for a terminate made while
the current task is being cancelled: the connection leaves the pool at once as before, and
the same close (graceful, bounded by asyncpg's 2 s, then forced) runs in a task of its own
that the cancelled caller does not wait for. On a healthy server the close is as before:
asyncpg's ``CancelRequest`` stops the statement on the server and the backend ends in
milliseconds (a plain forced close would leave the statement running to its end or to
``statement_timeout``). On a frozen one the socket is aborted 2 s later, and asyncpg's
pending cancel request with it; the backend ends when the server sees the connection go.
A connection already closed (a client-side deadline shut its socket down) is force-closed
at once, with no I/O; any other terminate keeps SQLAlchemy's graceful close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

__all__ = ["cancelled_task", "close_at_once"]

_INSTALLED = "serpens_close_at_once"

_CLOSING: set[asyncio.Task[None]] = set()
"""Closes under way: the loop holds its tasks weakly, a close nobody awaits must live."""


def close_at_once(engine: Engine) -> None:
    """Let a cancelled caller of *engine* go before its invalidated connection is closed.

    Pass an ``AsyncEngine``'s ``sync_engine``; only its dialect instance changes (its pool
    terminates connections through it). Idempotent; any other driver's engine is left as
    it is.
    """
    dialect: Any = engine.dialect
    if dialect.driver != "asyncpg" or getattr(dialect, _INSTALLED, False):
        return
    dialect.do_terminate = _terminate(dialect.do_terminate)
    setattr(dialect, _INSTALLED, True)


def _terminate(graceful: Callable[[Any], None]) -> Callable[[Any], None]:
    def do_terminate(dbapi_connection: Any) -> None:
        force = getattr(dbapi_connection, "_terminate_force_close", None)
        close = getattr(dbapi_connection, "_terminate_graceful_close", None)
        if force is None or close is None:  # not SQLAlchemy's asyncio adapter
            graceful(dbapi_connection)
        elif _closed(dbapi_connection):
            force()
        elif (task := cancelled_task()) is not None:
            closing = task.get_loop().create_task(_close_apart(close, force))
            _CLOSING.add(closing)
            closing.add_done_callback(_CLOSING.discard)
        else:
            graceful(dbapi_connection)

    return do_terminate


async def _close_apart(close: Callable[[], Any], force: Callable[[], None]) -> None:
    """What SQLAlchemy's ``terminate()`` does, in a task of its own: nobody gets its errors."""
    try:
        await close()
    except asyncio.CancelledError:  # the loop is closing: abort, end cancelled
        force()
        raise
    except Exception:  # noqa: BLE001 - a failed graceful close is forced, as SQLAlchemy does
        force()


def cancelled_task() -> asyncio.Task[Any] | None:
    """The running task if it is being cancelled (a cancel it has not taken back)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: SQLAlchemy force-closes outside a greenlet
        return None
    cancelling = getattr(task, "cancelling", None)
    return task if callable(cancelling) and cancelling() > 0 else None


def _closed(dbapi_connection: Any) -> bool:
    """Whether the asyncpg connection under SQLAlchemy's adapter is already closed."""
    is_closed = getattr(getattr(dbapi_connection, "_connection", None), "is_closed", None)
    return callable(is_closed) and bool(is_closed())
