"""serpens adapter package for redis; importing it without `serpens[redis]` names the extra.

- :class:`RedisCache` / :class:`AsyncRedisCache`: the ``Cache`` / ``AsyncCache`` ports.
- :class:`FailOpenRedis`: a ``redis.asyncio.Redis`` whose commands fail open.
- :class:`PoolSettings`: the bounded, waiting connection pool's options.
- :class:`RedisIdempotencyStore`: the ``IdempotencyStore`` port, one Lua script per call.
- :class:`RedisRateLimiter`: the ``RateLimit`` port, one quota shared across processes.
"""

from serpens._extras import require

require("redis", "redis")

from serpens_redis._async_cache import AsyncRedisCache  # noqa: E402
from serpens_redis._cache import RedisCache  # noqa: E402
from serpens_redis._fail_open_client import FailOpenPipeline, FailOpenRedis  # noqa: E402
from serpens_redis._idempotency import RedisIdempotencyStore  # noqa: E402
from serpens_redis._pool import PoolSettings, async_pool, plain_async_client, sync_pool  # noqa: E402
from serpens_redis._rate_limit import RedisRateLimiter  # noqa: E402

__all__ = [
    "AsyncRedisCache",
    "FailOpenPipeline",
    "FailOpenRedis",
    "PoolSettings",
    "RedisCache",
    "RedisIdempotencyStore",
    "RedisRateLimiter",
    "async_pool",
    "plain_async_client",
    "sync_pool",
]
