"""Cap outbound calls at 20/s and refresh a shared token once."""

import asyncio
import time

from serpens.rate_limit import RateLimiter

limiter = RateLimiter(rate=20, per_seconds=1.0)  # bursts of 20, then one call every 50 ms
cache: dict[str, str] = {}
refreshes: list[float] = []


async def fetch_token() -> str:
    async with limiter.auth_lock:  # one coroutine refreshes; the others wait, then reuse it
        if "token" not in cache:
            refreshes.append(time.monotonic())
            await asyncio.sleep(0.01)  # the identity provider call
            cache["token"] = "jwt"
        return cache["token"]


async def call_external(n: int) -> int:
    await fetch_token()
    async with limiter:  # same as: await limiter.acquire()
        return n


async def main() -> None:
    limiter.start()
    start = time.monotonic()
    results = await asyncio.gather(*(call_external(n) for n in range(30)))
    elapsed = time.monotonic() - start
    await limiter.stop()
    assert results == list(range(30))
    assert len(refreshes) == 1
    assert 0.45 <= elapsed < 1.0, elapsed  # 20 at once, 10 more at 50 ms intervals
    print(f"30 calls in {elapsed:.2f}s")


asyncio.run(main())
