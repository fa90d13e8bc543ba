"""Two workers sharing one quota through Redis."""

import asyncio
import os
import time

import redis.asyncio as aioredis

from serpens_redis import RedisRateLimiter


async def main() -> None:
    client = aioredis.Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
    key = f"quota:bank-api:{os.getpid()}"
    # Every process building a limiter with this key shares 10 calls/s, bursts of 2.
    worker_a = RedisRateLimiter(client, key, rate=10, per_seconds=1.0, burst=2)
    worker_b = RedisRateLimiter(client, key, rate=10, per_seconds=1.0, burst=2)
    start = time.monotonic()
    for _ in range(3):
        await worker_a.acquire()
        await worker_b.acquire()
    elapsed = time.monotonic() - start
    assert elapsed >= 0.35, elapsed  # 6 calls: 2 at once, then one every 100 ms
    await client.delete(key)
    await client.aclose()
    print(f"6 shared calls in {elapsed:.2f}s")


asyncio.run(main())
