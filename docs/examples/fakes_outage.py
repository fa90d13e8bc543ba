"""Exercise the outage paths of your code in unit tests with a fake's outage()."""

import asyncio

from serpens.errors import BackendUnavailableError
from serpens.fakes import InMemoryCache, InMemoryPublisher
from serpens.ports import Cache, Publisher


def price(cache: Cache, sku: str) -> int:
    """Read through the cache; the cache is an optimisation, never a requirement."""
    cached = cache.get_or_set(f"price:{sku}", lambda: 42)
    assert isinstance(cached, int)
    return cached


async def place_order(publisher: Publisher) -> str:
    """Publish an event; a broker outage becomes a 'retry later' answer."""
    try:
        await publisher.publish("projects/demo/topics/orders", b'{"id": 1}')
    except BackendUnavailableError:
        return "retry later"
    return "placed"


cache = InMemoryCache(fail_open=True)  # like RedisCache(fail_open=True)
with cache.outage():
    assert price(cache, "a1") == 42  # computed, not cached, nothing raised
assert cache.keys() == []

publisher = InMemoryPublisher()
with publisher.outage():
    assert asyncio.run(place_order(publisher)) == "retry later"
assert publisher.published == []
assert asyncio.run(place_order(publisher)) == "placed"
