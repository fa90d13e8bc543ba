"""An async connection pool whose connections never cross event loops.

An asyncpg or aiosqlite connection belongs to the event loop it was opened on. A script or
worker that runs one ``asyncio.run`` per job reuses the process's engine on a new loop each
time, and SQLAlchemy's pool hands out connections of the previous (often closed) loop: the
pre-ping or the first statement fails with a raw ``RuntimeError`` ("attached to a different
loop", "Event loop is closed").

:class:`LoopBoundAsyncPool` remembers each connection's loop; a pooled connection of another
loop is dropped without any I/O (its loop cannot run it; the socket closes when the object
is collected, as ``engine.dispose(close=False)`` does) and a new one is opened on the
running loop, in its place. The check is a dictionary lookup per checkout.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

__all__ = ["LoopBoundAsyncPool"]

_LOOP = "serpens_loop"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopBoundAsyncPool(AsyncAdaptedQueuePool):
    """``AsyncAdaptedQueuePool`` that replaces connections opened on another event loop."""

    def __init__(self, creator: Any, **kw: Any) -> None:
        super().__init__(creator, **kw)
        event.listen(self, "connect", _remember_loop)

    def _do_get(self) -> ConnectionPoolEntry:
        record = super()._do_get()
        owner = record.info.get(_LOOP)
        loop = _running_loop()
        if record.dbapi_connection is not None and owner is not None and owner() is not loop:
            # Of another loop: forget it (no I/O on a loop that cannot run it); the
            # record opens a new connection on this loop at checkout.
            forget: Any = record  # a _ConnectionRecord: its connection attribute is settable
            forget.dbapi_connection = None
        return record


def _remember_loop(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    loop = _running_loop()
    if loop is not None:
        record.info[_LOOP] = weakref.ref(loop)
