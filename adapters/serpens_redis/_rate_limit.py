"""RedisRateLimiter: the RateLimiter interface with its quota kept in Redis.

Several processes (workers, pods, Lambdas) that use the same ``key`` share one quota.
Each attempt runs one Lua script (GCRA: one "theoretical arrival time" per key, read
and updated atomically, timed with the server's ``TIME`` so client clocks do not
matter). Within a process, waiters queue first come first served and only the head of
the line talks to Redis; across processes there is no ordering, only the bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from serpens._rules.rate_limit import FifoLimiter, validate_limits
from serpens.errors import BackendError
from serpens_redis._errors import translate_errors

__all__ = ["RedisRateLimiter"]

# KEYS[1]: the quota key. ARGV[1]: emission interval (µs), ARGV[2]: burst tolerance (µs).
# Returns 0 when a slot was taken, else the microseconds until one may be free.
# Both the wait and the key's TTL are capped at 2^53 (exact in a double; as milliseconds,
# about 285,000 years, far within Redis' expiry range), and the TTL is written with '%d':
# Lua prints a number of 1e14 or more in exponent form, which Redis refuses as an integer,
# and an interval the limiter accepts (per_seconds up to float's range) makes one larger.
_ACQUIRE = """
local cap = 9007199254740992
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then
  return math.min(cap, math.max(1, math.ceil(allowed_at - now)))
end
local new_tat = tat + interval
local ttl_ms = math.min(cap, math.ceil((new_tat - now) / 1000) + 1)
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', string.format('%d', ttl_ms))
return 0
"""

# Gives back one slot taken by a caller that was cancelled before it could use it.
_REFUND = """
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat then
  redis.call('SET', KEYS[1], string.format('%.3f', tat - tonumber(ARGV[1])), 'KEEPTTL')
end
return 0
"""


class RedisRateLimiter(FifoLimiter):
    """A token bucket of ``burst`` slots refilled at ``rate`` per ``per_seconds``, in Redis.

    Args:
        client: a ``redis.asyncio.Redis``; the caller owns it (``stop()`` leaves it open).
        key: the Redis key holding the quota; limiters with the same key share it.
        rate: slots per ``per_seconds`` (> 0).
        per_seconds: the period of ``rate`` (> 0).
        burst: slots available at once after idling (default ``floor(rate)``, at least 1).
        sleep: coroutine function used to wait between attempts.

    Raises:
        ValidationError: a number is not positive and finite, or burst < 1.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        key: str,
        rate: float,
        per_seconds: float = 1.0,
        *,
        burst: int | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._burst = validate_limits(rate, per_seconds, burst)
        super().__init__(sleep)
        self._client = client
        self._key = key
        self._rate, self._per_seconds = float(rate), float(per_seconds)
        interval = self._per_seconds / self._rate * 1_000_000
        self._interval = f"{interval:.6f}"
        self._tolerance = f"{(self._burst - 1) * interval:.6f}"
        self._acquire_script = client.register_script(_ACQUIRE)
        self._refund_script = client.register_script(_REFUND)
        self._refunds: set[asyncio.Task[None]] = set()

    @property
    def key(self) -> str:
        """The Redis key holding the quota."""
        return self._key

    @property
    def burst(self) -> int:
        """The bucket size."""
        return self._burst

    async def _call(self, script: object, *args: str) -> int:
        with translate_errors(context=f"rate limiter key {self._key!r}"):
            result = await script(keys=[self._key], args=list(args))  # type: ignore[operator]
        return int(result)

    async def _attempt(self) -> float:
        attempt = asyncio.ensure_future(
            self._call(self._acquire_script, self._interval, self._tolerance)
        )
        try:
            wait_us = await asyncio.shield(attempt)
        except asyncio.CancelledError:
            # The script may still take a slot for a caller that is gone: give it back.
            settle = asyncio.ensure_future(self._refund_if_taken(attempt))
            self._refunds.add(settle)
            settle.add_done_callback(self._refunds.discard)
            raise
        return 0.0 if wait_us == 0 else wait_us / 1_000_000

    async def _refund_if_taken(self, attempt: asyncio.Future[int]) -> None:
        try:
            taken = await attempt == 0
        except BackendError:
            return  # the attempt failed, so it took nothing
        if taken:
            await self._call(self._refund_script, self._interval)

    async def stop(self) -> None:
        """Mark the limiter stopped, finish refunds of cancelled callers; the client stays open."""
        if self._refunds:
            await asyncio.gather(*self._refunds, return_exceptions=True)
        await super().stop()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(key={self._key!r}, rate={self._rate:g}, "
            f"per_seconds={self._per_seconds:g}, burst={self._burst})"
        )
