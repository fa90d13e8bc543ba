"""Rate limiter: achieved vs configured rate, and cost per acquire vs aiolimiter.

- Achieved rate: ``RateLimiter(1000, 1.0)`` after its burst is drained, one caller
  acquiring as fast as allowed for 5 s (target within +-2 % of 1000/s).
- Cost per uncontended ``acquire()`` with a rate too high to ever wait, against
  ``aiolimiter.AsyncLimiter`` in the same run (target: no slower).
- Informative: the Redis-backed limiter's cost per acquire (one script round trip),
  on the test harness's Redis (``TEST_REDIS_URL`` or a private ``redis-server``).
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiolimiter import AsyncLimiter

from bench._common import Result, best_of_async, note_server, print_table, scaled, scaled_seconds
from serpens.rate_limit import RateLimiter
from serpens.testing import start_redis

RATE = 1000.0
WINDOW = scaled_seconds(5.0)
CALLS = scaled(20_000)


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
    return asyncio.run(_measure())


if __name__ == "__main__":
    print_table(main())
