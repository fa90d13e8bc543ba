"""``serpens.cache_async``: the async Redis cache API under the name the README uses.

serpens 2.9.0's README names ``cache_async`` as what an ``@api.async_handler`` awaits;
code written as ``from serpens.cache_async import redis_get`` or
``import serpens.cache_async as cache`` runs unchanged. Every name here is the very
object :mod:`serpens.cache` exports (same singleton, same settings), so the two imports
mix freely. See ``docs/cache.md``.
"""

from serpens.cache import (
    RedisPool,
    acached,
    cached_get_or_set,
    clear_acache,
    redis_cached,
    redis_cached_get_or_set,
    redis_cached_key,
    redis_close,
    redis_delete,
    redis_get,
    redis_get_client,
    redis_init,
    redis_pool,
    redis_set,
)

__all__ = [
    "RedisPool",
    "acached",
    "cached_get_or_set",
    "clear_acache",
    "redis_cached",
    "redis_cached_get_or_set",
    "redis_cached_key",
    "redis_close",
    "redis_delete",
    "redis_get",
    "redis_get_client",
    "redis_init",
    "redis_pool",
    "redis_set",
]
