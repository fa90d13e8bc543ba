"""Rate limiter: achieved vs configured rate, and cost per acquire vs aiolimiter.

- Achieved rate: ``RateLimiter(1000, 1.0)`` after its burst is drained, one caller
  acquiring as fast as allowed for 5 s (target within +-2 % of 1000/s).
- Cost per uncontended ``acquire()`` with a rate too high to ever wait, against
  ``aiolimiter.AsyncLimiter`` in the same run (target: no slower).
- Scaling, cost per acquire with 10, 100, 1k, 10k and 100k callers waiting on one
  limiter at 1000/s with a burst of 1 (every caller but the first waits its turn),
  against ``aiolimiter.AsyncLimiter`` with the same rate and burst on the same loop
  (target: no slower). The loop's clock is virtual: when nothing is ready it jumps to
  the next timer instead of sleeping, so the limiters' schedules are kept exactly (the
  run checks both let the last caller through at (n - 1) / 1000 s) while the real time
  measured is the CPU work per acquire: the waiting line, the wake-ups, the timers.
  aiolimiter is the baseline because it is the fastest asyncio limiter we know with
  the same guarantees (waiters served in order, cancelled waiters take nothing, no
  background task); a bare ``asyncio.sleep`` loop per caller is cheaper but lets
  callers overtake each other and starve, so it is not the same work. The 100k row
  runs once (about ten seconds and 200 MB of tasks); ``--quick`` stops at 1k.
- Informative: the Redis-backed limiter's cost per acquire (one script round trip),
  on the test harness's Redis (``TEST_REDIS_URL`` or a private ``redis-server``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiolimiter import AsyncLimiter

from bench._common import (
    Result,
    best_of_async,
    note_server,
    print_table,
    quick,
    scaled,
    scaled_seconds,
)
from serpens.rate_limit import RateLimiter
from serpens.testing import start_redis

RATE = 1000.0
WINDOW = scaled_seconds(5.0)
CALLS = scaled(20_000)
SIZES = (10, 100, 1_000) if quick() else (10, 100, 1_000, 10_000, 100_000)


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer instead of sleeping.

    Every poll advances the clock by its timeout (at least 1 ns, as real time always
    passes a little), and polls without waiting: timers fire in the same order and at
    the same clock readings as on a real loop, with no real time spent sleeping.
    """

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        poll = self._selector.select  # type: ignore[attr-defined]

        def jump(timeout: float | None = None) -> Any:
            self._now += max(timeout or 0.0, 1e-9)
            return poll(0)

        self._selector.select = jump  # type: ignore[attr-defined]

    def time(self) -> float:
        return self._now


def _waiting_line_us(make: Callable[[asyncio.AbstractEventLoop], Any], n: int) -> float:
    """Real microseconds per acquire for *n* callers waiting on one limiter."""
    loop = _VirtualTimeLoop()
    try:
        limiter = make(loop)

        async def callers() -> None:
            await asyncio.gather(*(limiter.acquire() for _ in range(n)))

        start = time.perf_counter()
        loop.run_until_complete(callers())
        took = time.perf_counter() - start
        expected = (n - 1) / RATE  # one token at once, then one per 1/RATE seconds
        assert abs(loop.time() - expected) < 0.001 + expected * 0.001, (n, loop.time())
        return took / n * 1e6
    finally:
        loop.close()


def _scaling() -> list[Result]:
    def ours(loop: asyncio.AbstractEventLoop) -> RateLimiter:
        return RateLimiter(RATE, 1.0, burst=1, clock=loop.time)

    def theirs(_loop: asyncio.AbstractEventLoop) -> AsyncLimiter:
        return AsyncLimiter(1, 1 / RATE)  # the same rate, a bucket of 1

    rows = []
    for n in SIZES:
        best = {ours: float("inf"), theirs: float("inf")}
        for turn in range(1 if n >= 100_000 else 3):
            for make in (ours, theirs) if turn % 2 else (theirs, ours):
                best[make] = min(best[make], _waiting_line_us(make, n))
        rows.append(
            Result(
                f"acquire with {n} callers waiting (1000/s, virtual clock)",
                best[ours],
                best[theirs],
                "us/acquire",
                "aiolimiter.AsyncLimiter, same rate and burst",
                target=1.0,
            )
        )
    return rows


async def _achieved_rate() -> float:
    limiter = RateLimiter(RATE, 1.0)
    for _ in range(limiter.burst):  # drain the burst: measure the steady state
        await limiter.acquire()
    count = 0
    start = time.perf_counter()
    end = start + WINDOW
    while time.perf_counter() < end:
        await limiter.acquire()
        count += 1
    return count / (time.perf_counter() - start)


async def _aiolimiter_achieved_rate() -> float:
    limiter = AsyncLimiter(RATE, 1.0)
    for _ in range(int(RATE)):
        await limiter.acquire()
    count = 0
    start = time.perf_counter()
    end = start + WINDOW
    while time.perf_counter() < end:
        await limiter.acquire()
        count += 1
    return count / (time.perf_counter() - start)


async def _cost_per_acquire() -> tuple[float, float]:
    ours = RateLimiter(1e12, 1.0, burst=10**9)
    theirs = AsyncLimiter(1e12, 1.0)

    async def run_ours() -> None:
        for _ in range(CALLS):
            await ours.acquire()

    async def run_theirs() -> None:
        for _ in range(CALLS):
            await theirs.acquire()

    serpens_time = await best_of_async(run_ours, repeat=7)
    baseline_time = await best_of_async(run_theirs, repeat=7)
    return serpens_time / CALLS * 1e9, baseline_time / CALLS * 1e9


async def _redis_cost(url: str, tier: str, per_acquire_ns: float) -> Result | None:
    try:
        import redis.asyncio as aioredis  # noqa: PLC0415

        from serpens_redis import RedisRateLimiter  # noqa: PLC0415
    except ImportError:
        return None
    client = aioredis.Redis.from_url(url)
    key = f"bench:rl:{uuid.uuid4().hex}"
    try:
        await client.ping()
    except Exception:  # no Redis here: skip the informative row
        await client.aclose()
        return None
    limiter = RedisRateLimiter(client, key, 1e9, 1.0, burst=10**9)
    calls = scaled(2000)
    info = await client.info("server")
    note_server("Redis", f"{info['redis_version']} ({tier} tier)")

    async def run() -> None:
        for _ in range(calls):
            await limiter.acquire()

    seconds = await best_of_async(run, repeat=3)
    await client.delete(key)
    await client.aclose()
    return Result(
        "RedisRateLimiter acquire (one Lua round trip)",
        seconds / calls * 1e9,
        per_acquire_ns,
        "ns/acquire",
        "in-process RateLimiter",
    )


async def _measure() -> list[Result]:
    ours_ns, theirs_ns = await _cost_per_acquire()
    achieved = await _achieved_rate()
    theirs_achieved = await _aiolimiter_achieved_rate()
    results = [
        Result(
            f"achieved rate at {RATE:g}/s over {WINDOW:g} s (steady state)",
            achieved,
            RATE,
            "acquire/s",
            "configured rate",
            target=1.02,
            target_min=0.98,
        ),
        Result(
            f"aiolimiter achieved rate at {RATE:g}/s (same run, informative)",
            theirs_achieved,
            RATE,
            "acquire/s",
            "configured rate",
        ),
        Result(
            "uncontended acquire()",
            ours_ns,
            theirs_ns,
            "ns/acquire",
            "aiolimiter.AsyncLimiter",
            target=1.0,
        ),
    ]
    with start_redis() as server:  # TEST_REDIS_URL, else a private redis-server
        redis_row = await _redis_cost(server.url, server.tier, ours_ns)
    if redis_row is not None:
        results.append(redis_row)
    return results


def main() -> list[Result]:
    rows = asyncio.run(_measure())
    return [*rows[:3], *_scaling(), *rows[3:]]


if __name__ == "__main__":
    print_table(main())
