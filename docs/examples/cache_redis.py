import asyncio
from contextlib import asynccontextmanager

from serpens.cache import (
    cached_get_or_set,
    redis_cached,
    redis_cached_get_or_set,
    redis_close,
    redis_delete,
    redis_get,
    redis_init,
    redis_set,
)


@asynccontextmanager
async def lifespan(_app: object):
    await redis_init()  # REDIS_URL, CACHE_PREFIX, CACHE_TTL are read here, not at import
    yield
    await redis_close()


async def fetch_product(slug: str) -> dict[str, object]:
    await asyncio.sleep(0.01)  # a database query in real life
    return {"slug": slug, "price": 10}


@redis_cached("products", ttl=600)
async def get_product(slug: str) -> dict[str, object]:
    return await fetch_product(slug)


async def refresh_token() -> str:
    return "token-123"


async def main() -> None:
    async with lifespan(None):
        await redis_set("user:42", {"name": "Ana"}, ttl=60)
        assert await redis_get("user:42") == {"name": "Ana"}
        assert await redis_delete("user:42") is True

        assert await get_product("shoe") == {"slug": "shoe", "price": 10}
        assert await get_product(slug="shoe") == {"slug": "shoe", "price": 10}  # a hit

        value = await redis_cached_get_or_set("report:today", 60, fetch_product, "report")
        assert value == {"slug": "report", "price": 10}
        assert await cached_get_or_set("token", 1800, refresh_token) == "token-123"
    print("ok")


asyncio.run(main())
