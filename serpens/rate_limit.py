"""An in-process, asyncio-native token-bucket rate limiter for outbound calls.

::

    limiter = RateLimiter(rate=20, per_seconds=1.0)   # 20 calls/s, bursts of 20

    async def call_external():
        async with limiter:              # or: await limiter.acquire()
            return await client.get(...)

    async def fetch_token():
        async with limiter.auth_lock:    # one refresh at a time; the others wait
            return await cached_get_or_set("token", 1800, refresh_token)

Semantics:

- A token bucket of ``burst`` tokens (default ``floor(rate)``, at least 1) refilled at
  ``rate`` tokens per ``per_seconds``. In any window of ``t`` seconds at most
  ``burst + rate * t / per_seconds`` calls are admitted. It is computed from the clock
  as GCRA (one "theoretical arrival time"), so no background task is needed.
- ``acquire()`` works whether or not :meth:`~RateLimiter.start` was called: ``start``
  and ``await stop()`` are kept so a lifespan can bracket the limiter's life, and need
  no running loop.
- Waiters are served first come, first served; a cancelled or timed-out waiter does
  not consume a token.
- The clock and the sleep function are injectable, which makes tests instant.

For a quota shared by several processes use ``serpens_redis.RedisRateLimiter``, which has
the same interface.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from serpens._rules.rate_limit import FifoLimiter, validate_limits

__all__ = ["RateLimiter"]

# Grant a slot this close to its due time: float sums may never reach it exactly.
_EPSILON = 1e-9


class RateLimiter(FifoLimiter):
    """Token-bucket limiter: ``rate`` calls per ``per_seconds``, bursts of ``burst``.

    Args:
        rate: tokens added per ``per_seconds`` (> 0; may be fractional).
        per_seconds: the period of ``rate`` in seconds (> 0).
        burst: bucket size, the calls admitted at once after idling (default
            ``floor(rate)``, at least 1).
        clock: monotonic time source in seconds.
        sleep: coroutine function used to wait; must advance ``clock``.

    Raises:
        ValidationError: a number is not positive and finite, or burst < 1.
    """

    def __init__(
        self,
        rate: float,
        per_seconds: float = 1.0,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._burst = validate_limits(rate, per_seconds, burst)
        super().__init__(sleep)
        self._rate = float(rate)
        self._per_seconds = float(per_seconds)
        self._interval = self._per_seconds / self._rate
        self._tolerance = (self._burst - 1) * self._interval
        self._clock = clock
        self._tat = -math.inf  # theoretical arrival time of the next call

    @property
    def rate(self) -> float:
        """Tokens added per ``per_seconds``."""
        return self._rate

    @property
    def per_seconds(self) -> float:
        """The period of ``rate`` in seconds."""
        return self._per_seconds

    @property
    def burst(self) -> int:
        """The bucket size."""
        return self._burst

    def tokens(self) -> float:
        """Tokens available now (fractional; informative only)."""
        now = self._clock()
        return min(float(self._burst), (now - self._tat) / self._interval + self._burst)

    def _take(self) -> float:
        now = self._clock()
        tat = max(self._tat, now)
        allowed_at = tat - self._tolerance
        if now + _EPSILON >= allowed_at:
            self._tat = tat + self._interval
            return 0.0
        return allowed_at - now

    async def _attempt(self) -> float:
        return self._take()

    async def acquire(self, *, timeout: float | None = None) -> None:
        """Wait for one token, first come first served (see the module docstring).

        Args:
            timeout: give up after this many seconds with ``TimeoutError``; no token is
                consumed. ``None`` waits as long as needed.
        """
        if not self._waiters and self._take() == 0.0:
            return
        await self._wait_in_line(timeout)

    def __repr__(self) -> str:
        return (
            f"RateLimiter(rate={self._rate:g}, per_seconds={self._per_seconds:g}, "
            f"burst={self._burst})"
        )
