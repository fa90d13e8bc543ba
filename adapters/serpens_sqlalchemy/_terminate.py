"""asyncpg connections are closed within a deadline, and a terminate behind the caller.

When SQLAlchemy drops a connection (a cancel or an error invalidates it, or the pool
recycles it past ``pool_recycle``), its asyncpg adapter's ``terminate()`` makes a
graceful close (sqlalchemy/sqlalchemy#10717): ``await connection.close(timeout=2)``
under ``asyncio.shield``, then a forced close if that fails. On a frozen server or
network the graceful close waits its full 2 s, shielded from any cancel: a cancelled
call ended 2 s past its deadline, and a call that checked out a recycled connection
spent 2 s before it even connected anew (twice the documented worst case).

:func:`close_at_once` changes that on one engine's dialect. A terminate made in a task
(a caller's) runs the same close (graceful, bounded by asyncpg's 2 s, then forced) in a
task of its own that the caller does not wait for: the connection leaves the pool at
once as before. On a healthy server the close is as before: a cancelled statement is
stopped by asyncpg's ``CancelRequest`` and the backend ends in milliseconds (a plain
forced close would leave the statement running to its end or to ``statement_timeout``).
On a frozen one the socket is aborted 2 s later, and asyncpg's pending cancel request
with it; the backend ends when the server sees the connection go. A connection already
closed (a client-side deadline shut its socket down) is force-closed at once, with no
I/O; a terminate outside any task keeps SQLAlchemy's behaviour.

A plain close (``engine.dispose()``, an overflow connection checked in) waited, with no
timeout, for the server to answer asyncpg's ``close()``: on a frozen server
``async_dispose()`` never returned. Made in a task, it now runs in a task of its own
too, bounded like a statement (``DB_CLIENT_TIMEOUT_MS``, 2 s when the engine has no
deadline: ``serpens_sqlalchemy/_deadline.py``), then forced; :func:`closes_settled` waits
for those of the running loop, so a dispose of many idle connections takes one bound,
not one per connection, and still returns with every connection closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import Engine

from serpens_sqlalchemy._deadline import bound_driver_call

__all__ = ["cancelled_task", "close_at_once", "closes_settled"]

_INSTALLED = "serpens_close_at_once"
_UNBOUNDED_CLOSE_S = 2.0
"""A close's deadline on an engine without one: SQLAlchemy's own for a graceful terminate."""

_CLOSING: set[asyncio.Task[None]] = set()
"""Closes under way: the loop holds its tasks weakly, a close nobody awaits must live."""


def close_at_once(engine: Engine) -> None:
    """Let a caller of *engine* go before the connection it dropped is closed; bound closes.

    Pass an ``AsyncEngine``'s ``sync_engine``; only its dialect instance changes (its pool
    closes and terminates connections through it). Idempotent; any other driver's engine
    is left as it is.
    """
    dialect: Any = engine.dialect
    if dialect.driver != "asyncpg" or getattr(dialect, _INSTALLED, False):
        return
    dialect.do_terminate = _terminate(dialect.do_terminate)
    dialect.do_close = _bounded_close(dialect, dialect.do_close)
    setattr(dialect, _INSTALLED, True)


def _terminate(graceful: Callable[[Any], None]) -> Callable[[Any], None]:
    def do_terminate(dbapi_connection: Any) -> None:
        force = getattr(dbapi_connection, "_terminate_force_close", None)
        close = getattr(dbapi_connection, "_terminate_graceful_close", None)
        if force is None or close is None:  # not SQLAlchemy's asyncio adapter
            graceful(dbapi_connection)
        elif _closed(dbapi_connection):
            force()
        elif (task := _current_task()) is not None:
            _apart(task.get_loop(), _close_apart(close, force))
        else:
            graceful(dbapi_connection)

    return do_terminate


def _bounded_close(dialect: Any, close: Callable[[Any], None]) -> Callable[[Any], None]:
    def do_close(dbapi_connection: Any) -> None:
        force = getattr(dbapi_connection, "_terminate_force_close", None)
        driver = getattr(dbapi_connection, "_connection", None)
        if force is None or driver is None:  # not SQLAlchemy's asyncpg adapter
            close(dbapi_connection)
        elif _closed(dbapi_connection):
            force()
        elif (task := _current_task()) is not None:

            async def bounded() -> None:
                with bound_driver_call(
                    dialect, dbapi_connection, driver, otherwise=_UNBOUNDED_CLOSE_S
                ):
                    await driver.close()

            _apart(task.get_loop(), _close_apart(bounded, force))
        else:
            close(dbapi_connection)

    return do_close


def _apart(loop: asyncio.AbstractEventLoop, closing: Coroutine[Any, Any, None]) -> None:
    task = loop.create_task(closing)
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


async def closes_settled() -> None:
    """Wait for the closes under way on the running loop (each bounded, see the module)."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _CLOSING if task.get_loop() is loop]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _current_task() -> asyncio.Task[Any] | None:
    """The running task (a caller's, SQLAlchemy runs its sync code in it), if any."""
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: SQLAlchemy force-closes outside a greenlet
        return None


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
