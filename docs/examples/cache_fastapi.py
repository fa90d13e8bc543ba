import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from redis.asyncio import Redis

from serpens.cache import redis_pool

cache = redis_pool(os.environ["REDIS_URL"])  # one bounded pool, created on first request


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await cache.aclose()  # disconnect the pool at shutdown


app = FastAPI(lifespan=lifespan)


@app.get("/users/{user_id}")
async def get_user(user_id: str, client: Redis = Depends(cache)) -> dict[str, str | None]:  # noqa: B008, FAST002
    raw = await client.get(f"user:{user_id}")  # None on a miss, and while Redis is down
    return {"user": raw.decode() if raw else None}
