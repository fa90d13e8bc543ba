"""The waiting line shared by serpens' rate limiters (in-process and Redis-backed).

Subclasses supply :meth:`FifoLimiter._attempt`: try to take one slot now and return
``0.0`` on success, else the seconds until a slot may be free. This base turns that into
a fair, cancellation-safe ``acquire()``: callers queue in arrival order, only the head
of the line polls and sleeps, and a caller that leaves the line (cancelled or timed
out) wakes the next one without having taken a slot.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

from serpens.errors import FieldError, ValidationError

__all__ = ["FifoLimiter", "validate_limits"]


def validate_limits(rate: float, per_seconds: float, burst: int | None) -> int:
    """Check the limiter's numbers and return the effective burst (default ``floor(rate)``)."""
    errors = []
    if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
        errors.append(FieldError("rate", "must be a finite number > 0"))
    if not (
        isinstance(per_seconds, int | float) and math.isfinite(per_seconds) and per_seconds > 0
    ):
        errors.append(FieldError("per_seconds", "must be a finite number > 0"))
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        errors.append(FieldError("burst", "must be an integer >= 1"))
    if errors:
        raise ValidationError("invalid rate limit", errors)
    return burst if burst is not None else max(1, math.floor(rate))


class FifoLimiter:
    """Base class: a FIFO line of waiters in front of a slot source."""

    def __init__(self, sleep: Callable[[float], Awaitable[object]]) -> None:
        self._sleep = sleep
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._auth_lock = asyncio.Lock()
        self._auth_loop: asyncio.AbstractEventLoop | None = None
        self._running = False

    async def _attempt(self) -> float:
        """Take one slot now (return 0.0), or return the seconds until one may be free."""
        raise NotImplementedError

    @property
    def auth_lock(self) -> asyncio.Lock:
        """A lock that lets exactly one coroutine refresh a credential while others wait.

        An ``asyncio.Lock`` belongs to one event loop; a limiter built at import time and
        used under several loops in turn (``asyncio.run`` per call, one loop per test)
        gets a fresh lock for each new running loop.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._auth_lock
        if loop is not self._auth_loop:
            if self._auth_loop is not None:
                self._auth_lock = asyncio.Lock()
            self._auth_loop = loop
        return self._auth_lock

    @property
    def running(self) -> bool:
        """Whether :meth:`start` was called and :meth:`stop` was not since."""
        return self._running

    @property
    def waiting(self) -> int:
        """How many callers are queued in this process."""
        return len(self._waiters)

    def start(self) -> None:
        """Mark the limiter started. Needs no event loop and starts no task; idempotent.

        Slots are computed from the clock, so no background replenisher is needed;
        ``start``/``stop`` exist to bracket the limiter's life in a lifespan.
        """
        self._running = True

    async def stop(self) -> None:
        """Mark the limiter stopped; queued callers keep their place. Idempotent."""
        self._running = False

    async def acquire(self, *, timeout: float | None = None) -> None:
        """Wait for one slot, in arrival order.

        Args:
            timeout: give up after this many seconds with ``TimeoutError``; the slot is
                not consumed. ``None`` waits as long as needed.
        """
        # Every caller queues, even when the line looks empty: an attempt may be in
        # flight (a network round trip) and a newcomer must not overtake it.
        await self._wait_in_line(timeout)

    async def _wait_in_line(self, timeout: float | None) -> None:
        """Queue for a slot; *timeout* bounds the waiting, never the first try at the head.

        A caller first in line always makes one attempt, so a slot free now is taken
        even with a timeout of 0, a negative one or one shorter than a Redis round trip
        (as the in-process limiter takes it without awaiting anything). Waiting behind
        others, sleeping until a slot frees up and later attempts are bounded.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + max(timeout, 0.0)
        turn: asyncio.Future[None] = loop.create_future()
        self._waiters.append(turn)
        try:
            if self._waiters[0] is not turn:
                async with asyncio.timeout_at(deadline):
                    await turn
            delay = await self._attempt()
            if delay > 0.0:
                async with asyncio.timeout_at(deadline):
                    await self._sleep(delay)
                    while (delay := await self._attempt()) > 0.0:
                        await self._sleep(delay)
        finally:
            self._leave(turn)

    def _leave(self, turn: asyncio.Future[None]) -> None:
        if self._waiters and self._waiters[0] is turn:
            self._waiters.popleft()
        else:
            self._waiters.remove(turn)
        if self._waiters and not self._waiters[0].done():
            self._waiters[0].set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
