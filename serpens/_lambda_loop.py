"""One event loop for the life of a Lambda process.

The Lambda runtime calls a handler synchronously. ``asyncio.run`` per invocation would
create and close a loop each time, and clients bound to the first loop (httpx,
redis.asyncio, async SQLAlchemy engines created at cold start) would break on the next
warm invocation. :func:`run` instead runs every coroutine on one loop that lives as long
as the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["get_loop", "run"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def get_loop() -> asyncio.AbstractEventLoop:
    """Return the process-wide handler loop, creating it on first use (or after a close)."""
    global _loop  # noqa: PLW0603 - one loop per process is the point of this module
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        return _loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run *coro* to completion on the process-wide loop and return its result.

    Raises:
        RuntimeError: when called from a thread that is already running an event loop
            (await the coroutine there instead); the coroutine is closed, not leaked.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
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
