"""A cancel that lands in the pool's pre-ping of an asyncpg connection is not lost.

SQLAlchemy's asyncpg adapter pings outside a transaction with ``BEGIN``, ``;`` and, in a
``finally``, ``ROLLBACK`` (``_async_ping``, for PgBouncer's transaction mode,
sqlalchemy/sqlalchemy#10226). A cancel that lands in the ``;`` runs that ``ROLLBACK``;
when the server or the network has stopped answering, it waits until the ping's
client-side deadline (``_deadline.py``) cuts the connection, and its ``InterfaceError``
("connection is closed") replaces the ``CancelledError``. The pool takes that error for a
disconnect: it invalidates the connection and opens a new one for the caller, whose task
has no cancel left to take (``Task.cancelling()`` still counts it, nothing raises it
again). The call goes on: on a frozen server it waits for asyncpg's connect timeout
(60 s by default), then a ``run_relay`` cancelled that way relays again, forever.

:func:`keep_ping_cancel` makes such a ping raise ``CancelledError`` again (chained to the
error that replaced it): the pool drops the connection and the cancel ends the call, once
the ping's deadline has cut the ``ROLLBACK`` short (not at once: SQLAlchemy awaits it).
Only a ping whose error replaced a ``CancelledError``, in a task being cancelled, is
changed; any other ping, failed or not, is as before.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from serpens_sqlalchemy._terminate import cancelled_task

__all__ = ["keep_ping_cancel"]

_INSTALLED = "serpens_keep_ping_cancel"
_CHAIN_LIMIT = 8
"""Exceptions looked at along a ping error's causes and contexts."""


def keep_ping_cancel(engine: Engine) -> None:
    """Make a cancel that lands in *engine*'s pre-ping end the call (idempotent; see the module).

    Pass an ``AsyncEngine``'s ``sync_engine``; only its dialect instance changes. Any other
    driver's engine is left as it is.
    """
    dialect: Any = engine.dialect
    if dialect.driver != "asyncpg" or getattr(dialect, _INSTALLED, False):
        return
    dialect.do_ping = _keeping_cancel(dialect.do_ping)
    setattr(dialect, _INSTALLED, True)


def _keeping_cancel(ping: Callable[[Any], bool]) -> Callable[[Any], bool]:
    @functools.wraps(ping)
    def do_ping(dbapi_connection: Any) -> bool:
        try:
            return ping(dbapi_connection)
        except Exception as exc:
            if _replaced_cancel(exc) and cancelled_task() is not None:
                raise asyncio.CancelledError from exc
            raise

    return do_ping


def _replaced_cancel(exc: BaseException) -> bool:
    """Whether *exc* was raised while a ``CancelledError`` was being handled (or from one)."""
    seen: BaseException | None = exc
    for _ in range(_CHAIN_LIMIT):
        if seen is None:
            return False
        if isinstance(seen, asyncio.CancelledError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
