"""Single flight: concurrent misses on one key run the factory once.

:class:`AsyncFlight` runs the fill in its own task and every caller awaits it through
:func:`asyncio.shield`, so cancelling the first caller (a client that disconnected)
neither cancels the fill nor fails the callers still waiting. Tasks are kept per event
loop, so a process that runs several loops (tests, Lambda) never awaits across loops.
:class:`ThreadFlight` is the blocking twin for the sync decorator: one lock per key.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["AsyncFlight", "ThreadFlight"]

T = TypeVar("T")


class AsyncFlight:
    """Deduplicates concurrent async fills per key (and per event loop)."""

    def __init__(self) -> None:
        self._tasks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Task[Any]]
        ] = weakref.WeakKeyDictionary()

    def in_flight(self) -> int:
        """Number of fills running on the current loop (for tests and diagnostics)."""
        return len(self._tasks.get(asyncio.get_running_loop(), {}))

    async def run(self, key: Hashable, fill: Callable[[], Awaitable[T]]) -> T:
        """Return ``await fill()``, sharing one running fill among concurrent callers."""
        loop = asyncio.get_running_loop()
        tasks = self._tasks.get(loop)
        if tasks is None:
            tasks = self._tasks[loop] = {}
        task = tasks.get(key)
        if task is None:
            task = loop.create_task(_as_coroutine(fill))
            tasks[key] = task
            task.add_done_callback(lambda done: _finished(tasks, key, done))
        return await asyncio.shield(task)


async def _as_coroutine(fill: Callable[[], Awaitable[T]]) -> T:
    return await fill()


def _finished(
    tasks: dict[Hashable, asyncio.Task[Any]], key: Hashable, done: asyncio.Task[Any]
) -> None:
    if tasks.get(key) is done:
        del tasks[key]
    if not done.cancelled():
        done.exception()  # retrieved: no "never retrieved" noise when every caller left


class ThreadFlight:
    """One lock per key while a fill runs; waiters re-check the store when they get it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list[Any]] = {}

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """Hold *key*'s lock for the duration of the block."""
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = [threading.Lock(), 0]
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]
