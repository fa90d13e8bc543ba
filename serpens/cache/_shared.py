"""``cached_get_or_set``: Redis when initialised, this process's memory otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens.cache import _redis
from serpens.cache._store import AsyncLocalCache

__all__ = ["cached_get_or_set"]

_local: AsyncLocalCache | None = None


async def cached_get_or_set(
    key: str, ttl: float | None, factory: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> Any:
    """Return the value cached at *key*, or ``factory(*args, **kwargs)`` stored for *ttl* s.

    Uses the Redis cache (shared by every process) once :func:`redis_init` has run in
    this process, and an in-process cache otherwise, so a library helper such as a
    token refresher works in both setups. Either way concurrent misses call *factory*
    once, ``None`` results are not stored, and values round-trip through JSON.
    """
    if _redis._state is not None:  # noqa: SLF001 - same package
        return await _redis.redis_cached_get_or_set(key, ttl, factory, *args, **kwargs)
    global _local  # noqa: PLW0603 - lazily created process-wide cache
    if _local is None:
        _local = AsyncLocalCache()
    return await _local.get_or_set(key, lambda: _redis._call(factory, args, kwargs), ttl=ttl)  # noqa: SLF001
