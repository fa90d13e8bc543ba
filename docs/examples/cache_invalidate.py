import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from serpens.cache import (
    redis_cached,
    redis_cached_key,
    redis_close,
    redis_delete,
    redis_get,
    redis_init,
)


@redis_cached("prices", ttl=600)
async def price(sku: str, *, currency: str = "BRL") -> dict[str, object]:
    return {"sku": sku, "amount": Decimal("19.90"), "at": datetime(2024, 1, 2, tzinfo=UTC)}


async def main() -> None:
    await redis_init()
    try:
        # As in serpens 2.9, what JSON has no form for is stored as its str().
        first = await price("A-1", currency="USD")
        assert first == {"sku": "A-1", "amount": "19.90", "at": "2024-01-02 00:00:00+00:00"}

        # The key of one call, to read or invalidate exactly that entry.
        key = redis_cached_key(price, "A-1", currency="USD")
        assert key is not None
        assert await redis_get(key) == first
        assert await redis_delete(key) is True  # the next call recomputes
    finally:
        await redis_close()
    print("ok")


asyncio.run(main())
