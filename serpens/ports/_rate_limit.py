"""The RateLimit port: an asynchronous limiter on outbound calls."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol

__all__ = ["RateLimit"]


class RateLimit(Protocol):
    """Admits at most ``burst + rate * t / per_seconds`` calls in any window of ``t`` seconds.

    Shared semantics (pinned by ``serpens_contract.RateLimitContract``):

    - ``acquire()`` returns once the caller may make one call; it never raises for being
      throttled, it waits. With ``timeout`` it raises ``TimeoutError`` when no slot came
      in time, and the slot is not consumed. The timeout bounds the wait, not the first
      try: a slot free now is taken even with ``timeout=0`` (or less, or less than a
      round trip to a shared backend).
    - Waiters are served in arrival order within one process; a waiter that is
      cancelled (or times out) does not consume a slot.
    - ``async with limiter:`` is ``await limiter.acquire()``.
    - ``start()`` / ``await stop()`` bracket the limiter's life (e.g. in a lifespan);
      ``acquire()`` also works without ``start()``.
    - ``auth_lock`` is an ``asyncio.Lock`` for serialising credential refreshes.
    - Built with a rate or window that is not a finite number > 0, or a burst that is
      not an integer >= 1, a limiter raises ``ValidationError`` naming each bad field;
      the burst defaults to the whole part of the rate, at least 1.
    """

    @property
    def auth_lock(self) -> asyncio.Lock:
        """A lock that lets exactly one coroutine refresh a credential while others wait."""
        ...

    def start(self) -> None:
        """Mark the limiter started; needs no running event loop; idempotent."""
        ...

    async def stop(self) -> None:
        """Mark the limiter stopped and release what it owns; idempotent."""
        ...

    async def acquire(self, *, timeout: float | None = None) -> None:
        """Wait for one slot (at most *timeout* seconds, then ``TimeoutError``)."""
        ...

    async def __aenter__(self) -> None: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
