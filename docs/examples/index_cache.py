from serpens.fakes import InMemoryCache
from serpens.ports import Cache, JSONValue

lookups: list[str] = []


def price(cache: Cache, sku: str) -> JSONValue:  # your code depends on the port only
    def load() -> float:
        lookups.append(sku)  # the slow part: a database query, an HTTP call
        return 9.9

    return cache.get_or_set(f"price:{sku}", load, ttl=60)


cache = InMemoryCache()  # unit tests: the fake; production: serpens_redis.RedisCache
assert price(cache, "A-1") == price(cache, "A-1") == 9.9
assert lookups == ["A-1"]  # computed once, then served from the cache
