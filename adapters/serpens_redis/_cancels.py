"""Cancels that redis-py's asyncio client drops, raised again where they were asked.

redis-py writes every command under ``asyncio.wait_for``. On Python 3.11 ``wait_for``
drops a cancel that arrives in the loop step in which the write it waits for completes
(CPython gh-86296, fixed in 3.12): the cancelled command reads its reply and returns it,
and the cancelled caller goes on, past the ``asyncio.timeout`` or ``TaskGroup`` that asked
it to stop. A task counts the cancels asked of it (``Task.cancelling()``, which
``asyncio.timeout`` takes back when it turns its own cancel into ``TimeoutError``), so a
cancel asked while a command ran that did not end it was dropped on the way: these
helpers raise ``CancelledError`` for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["cancels_asked", "keeping_cancels", "raise_dropped_cancel"]

T = TypeVar("T")


def cancels_asked() -> tuple[asyncio.Task[object] | None, int]:
    """The running task and the number of cancels asked of it so far."""
    task = asyncio.current_task()
    return task, 0 if task is None else task.cancelling()


def raise_dropped_cancel(task: asyncio.Task[object] | None, asked: int) -> None:
    """Raise ``CancelledError`` if *task* was asked to cancel since it counted *asked*.

    Call it only while the task runs on, so after an ``await`` that returned: a cancel
    that was delivered ended the ``await`` with ``CancelledError`` instead.
    """
    if task is not None and task.cancelling() > asked:
        raise asyncio.CancelledError


async def keeping_cancels(call: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """``await call(*args, **kwargs)``, ending in ``CancelledError`` if a cancel was dropped.

    *call* is called here, not by the caller: a task cancelled before it starts never
    creates the coroutine, so none is left un-awaited.
    """
    task, asked = cancels_asked()
    result = await call(*args, **kwargs)
    raise_dropped_cancel(task, asked)
    return result
