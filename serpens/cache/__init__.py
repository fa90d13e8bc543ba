"""Caching in three flavours: sync in-process, async in-process, and async Redis.

- :func:`cached` / :func:`clear_cache`: sync functions, process memory, by bucket.
- :func:`acached` / :func:`clear_acache`: async functions, process memory, by bucket.
- ``redis_*``: a shared, fail-open JSON cache in Redis (:func:`redis_init` first).
- :func:`cached_get_or_set`: Redis when initialised, process memory otherwise.
- :class:`LocalCache` / :class:`AsyncLocalCache`: the ``Cache`` ports in process memory.

See ``docs/cache.md``. Importing this module needs no SDK; ``redis`` is imported by
:func:`redis_init` and :func:`redis_pool`.
"""

from serpens.cache._decorators import acached, cached, clear_acache, clear_cache
from serpens.cache._redis import (
    RedisPool,
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
from serpens.cache._shared import cached_get_or_set
from serpens.cache._store import AsyncLocalCache, LocalCache

__all__ = [
    "AsyncLocalCache",
    "LocalCache",
    "RedisPool",
    "acached",
    "cached",
    "cached_get_or_set",
    "clear_acache",
    "clear_cache",
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
