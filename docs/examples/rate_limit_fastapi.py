"""A FastAPI service whose calls to a quoted upstream go through one RateLimiter."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from serpens.rate_limit import RateLimiter

limiter = RateLimiter(rate=5, per_seconds=1.0)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    limiter.start()
    yield
    await limiter.stop()


app = FastAPI(lifespan=lifespan)


@app.get("/quote")
async def quote() -> dict[str, float]:
    try:
        await limiter.acquire(timeout=2.0)  # wait for a slot, at most 2 s
    except TimeoutError:
        return {"tokens": -1.0}
    return {"tokens": limiter.tokens()}  # here the upstream call would go


async def main() -> None:
    async with lifespan(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            bodies = [(await client.get("/quote")).json() for _ in range(6)]
    assert all(body["tokens"] >= 0 for body in bodies)
    print("ok")


if __name__ == "__main__":
    asyncio.run(main())
