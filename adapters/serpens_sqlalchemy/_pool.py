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

The pool's queue follows the running loop too: ``asyncio.Queue`` binds to the loop of its
first wait, and SQLAlchemy keeps one queue for the pool's life, so once one
``asyncio.run`` had callers waiting for a connection, a wait under the next raised
``RuntimeError("... is bound to a different event loop")``. :class:`_LoopFollowingQueue`
moves its idle connections into a new queue when it is used on another loop.
:class:`SharedConnectionAsyncPool` (one connection, kept across loops) serves in-memory
SQLite, whose one connection is the whole database.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util.queue import AsyncAdaptedQueue

__all__ = ["LoopBoundAsyncPool", "SharedConnectionAsyncPool"]

_LOOP = "serpens_loop"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _LoopFollowingQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    """SQLAlchemy's asyncio pool queue, moved to a new ``asyncio.Queue`` on another loop."""

    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        self._follow_running_loop()
        return super().get(block, timeout)

    def put(
        self, item: ConnectionPoolEntry, block: bool = True, timeout: float | None = None
    ) -> None:
        self._follow_running_loop()
        super().put(item, block, timeout)

    def _follow_running_loop(self) -> None:
        queue: asyncio.Queue[ConnectionPoolEntry] | None = self.__dict__.get("_queue")
        bound = getattr(queue, "_loop", None)  # set by the queue's first wait
        if queue is None or bound is None or bound is _running_loop():
            return
        # A waiter of the other loop cannot be woken from this one: that loop has ended
        # (one asyncio.run per job) or runs elsewhere, which an engine does not support.
        idle = [queue.get_nowait() for _ in range(queue.qsize())]
        if self.use_lifo:
            idle.reverse()  # taken newest first; put back oldest first
        del self.__dict__["_queue"]  # SQLAlchemy's memoized property builds a new one
        for entry in idle:
            self._queue.put_nowait(entry)


class SharedConnectionAsyncPool(AsyncAdaptedQueuePool):
    """One connection, handed to one session at a time, on any loop: in-memory SQLite.

    SQLAlchemy's default there, ``StaticPool``, hands the one connection to every session
    at once, so one session's rollback undid another's uncommitted work, whose commit then
    reported success. Here a second session waits for the first to end (up to the pool
    timeout). The connection is never replaced, so the database outlives event loops.
    """

    _queue_class = _LoopFollowingQueue

    def __init__(self, creator: Any, **kw: Any) -> None:
        super().__init__(creator, **{**kw, "pool_size": 1, "max_overflow": 0})


class LoopBoundAsyncPool(AsyncAdaptedQueuePool):
    """``AsyncAdaptedQueuePool`` that replaces connections opened on another event loop."""

    _queue_class = _LoopFollowingQueue

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
