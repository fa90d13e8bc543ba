"""``redis_pool`` as a FastAPI dependency, served by uvicorn over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import Depends, FastAPI
from redis.asyncio import Redis

from serpens.cache import redis_close, redis_get, redis_init, redis_pool, redis_set
from serpens.testing import serve_asgi
from serpens_redis import FailOpenRedis

pytestmark = pytest.mark.redis


def test_redis_pool_yields_a_fail_open_client_per_request(redis_url: str, prefix: str) -> None:
    cache = redis_pool(redis_url)
    assert redis_url.split("//")[1].split("/", maxsplit=1)[0] in repr(cache)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await redis_init(redis_url, prefix=prefix)
        yield
        await cache.aclose()
        await redis_close()

    app = FastAPI(lifespan=lifespan)

    @app.put("/users/{user_id}")
    async def put_user(
        user_id: str,
        client: Redis = Depends(cache),  # noqa: B008, FAST002 - the specification's style
    ) -> dict[str, object]:
        await client.set(f"{prefix}:raw:{user_id}", user_id.upper())
        await redis_set(f"user:{user_id}", {"id": user_id}, ttl=60)
        return {"fail_open": isinstance(client, FailOpenRedis)}

    @app.get("/users/{user_id}")
    async def get_user(
        user_id: str,
        client: Redis = Depends(cache),  # noqa: B008, FAST002 - the specification's style
    ) -> dict[str, object]:
        raw = await client.get(f"{prefix}:raw:{user_id}")
        return {"raw": raw.decode() if raw else None, "json": await redis_get(f"user:{user_id}")}

    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url) as http:
        assert http.put("/users/ana").json() == {"fail_open": True}
        assert http.get("/users/ana").json() == {"raw": "ANA", "json": {"id": "ana"}}
        assert http.get("/users/bia").json() == {"raw": None, "json": None}
