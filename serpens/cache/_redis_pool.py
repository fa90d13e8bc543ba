"""The Redis flavour's pool settings, its lazy adapter import, and ``redis_pool``.

:class:`RedisPool` is the FastAPI dependency of one bounded, fail-open pool per event
loop; it shares the pool bounds and the lazy import of ``serpens_redis`` with
``redis_init`` (:mod:`serpens.cache._redis`), so they live here, below both.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from serpens._extras import require
from serpens.errors import mask_url

if TYPE_CHECKING:
    from serpens_redis import FailOpenRedis

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_POOL_TIMEOUT", "RedisPool", "redis_pool"]

DEFAULT_MAX_CONNECTIONS = 50
DEFAULT_POOL_TIMEOUT = 2.0


def _adapter() -> Any:
    require("redis", "redis")
    import serpens_redis  # noqa: PLC0415 - the SDK is optional; imported on first use

    return serpens_redis


class RedisPool:
    """FastAPI ``Depends`` factory yielding a fail-open ``redis.asyncio.Redis``.

    One bounded pool per event loop, created on first use and shared by every request;
    the yielded client is a :class:`serpens_redis.FailOpenRedis`. Call :meth:`aclose`
    at shutdown to disconnect it.
    """

    def __init__(
        self,
        url: object,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        self._url = str(url)  # pydantic's RedisDsn too, as serpens 2.9 took it
        self._max_connections = max_connections
        self._pool_timeout = pool_timeout
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FailOpenRedis] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"RedisPool({mask_url(self._url)!r})"

    def client(self) -> FailOpenRedis:
        """The shared fail-open client of the running event loop."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            adapter = _adapter()
            settings = adapter.PoolSettings(
                max_connections=self._max_connections, pool_timeout=self._pool_timeout
            )
            client = self._clients[loop] = adapter.FailOpenRedis.over(
                adapter.async_pool(self._url, settings)
            )
        return client

    async def __call__(self) -> AsyncIterator[FailOpenRedis]:
        """Yield the client for one request (the dependency FastAPI calls)."""
        yield self.client()

    async def aclose(self) -> None:
        """Disconnect the running loop's pool (idempotent)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.connection_pool.aclose()


def redis_pool(
    url: object,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    pool_timeout: float = DEFAULT_POOL_TIMEOUT,
) -> RedisPool:
    """Return a FastAPI ``Depends`` factory yielding a fail-open client for *url*.

    *url* is a ``str`` or any object whose ``str()`` is the URL (pydantic's ``RedisDsn``).
    """
    return RedisPool(url, max_connections=max_connections, pool_timeout=pool_timeout)
