"""One event loop for the life of a Lambda process.

The Lambda runtime calls a handler synchronously. ``asyncio.run`` per invocation would
create and close a loop each time, and clients bound to the first loop (httpx,
redis.asyncio, async SQLAlchemy engines created at cold start) would break on the next
warm invocation. :func:`run` instead runs every coroutine on one loop that lives as long
as the process.

The loop is one per thread that calls a handler: the Lambda runtime calls from one thread,
so in Lambda that is one loop for the process; a threaded local server or a test's thread
pool gets a loop per thread instead of two threads sharing one loop (which asyncio
refuses). A thread's loop is closed when the thread ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["get_loop", "loop_running", "run"]

T = TypeVar("T")


class _Owner:
    """Holds one thread's loop; when the thread ends, it is collected and the loop closed."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        weakref.finalize(self, self.loop.close)


_threads = threading.local()


def get_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's handler loop, creating it on first use (or after a close)."""
    owner: _Owner | None = getattr(_threads, "owner", None)
    if owner is None or owner.loop.is_closed():
        owner = _threads.owner = _Owner()
    return owner.loop


def loop_running() -> bool:
    """Whether this thread is running an event loop (an async test, an ASGI server)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run *coro* to completion on this thread's handler loop and return its result.

    Raises:
        RuntimeError: when called from a thread that is already running an event loop
            (await the coroutine there instead); the coroutine is closed, not leaked.
    """
    if loop_running():
        coro.close()
        raise RuntimeError(
            "an async Lambda handler was called from inside a running event loop; "
            "await the undecorated coroutine function (for @api.async_handler, its invoke())"
        )
    loop = get_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(coro)
    try:
        return loop.run_until_complete(task)
    except BaseException:
        # Interrupted outside the coroutine (KeyboardInterrupt in the loop itself): cancel
        # it and let it clean up now, so nothing it started runs in the next invocation.
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(task)
        raise
    finally:
        asyncio.set_event_loop(None)
