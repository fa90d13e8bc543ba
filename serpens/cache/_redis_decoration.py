"""What ``@redis_cached`` needs besides the Redis connection: options, caching off, keys.

The decorator itself (in :mod:`serpens.cache._redis`) reads the process-wide cache at call
time; these parts do not: the check of its options, the wrapper it returns when a ``ttl``
of ``0`` turns caching off, and :func:`redis_cached_key`, which needs no connection.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from serpens._rules.cache import check_ttl
from serpens.errors import ValidationError
from serpens.ports import AsyncCache

__all__ = ["redis_cached_key"]

P = ParamSpec("P")
R = TypeVar("R")


def _fill_options(
    ttl: float | None, off: bool, cache: AsyncCache | None, cache_none: bool
) -> dict[str, Any]:
    """The keyword arguments ``@redis_cached`` passes to ``get_or_set``, checked."""
    if ttl is not None and not off:
        check_ttl(ttl, ttl)
    options: dict[str, Any] = {"ttl": ttl}
    if cache is None or cache_none:
        options["cache_none"] = cache_none
    if cache is not None and cache_none and not _takes_cache_none(cache):
        raise ValidationError(
            f"cache_none=True needs a cache whose get_or_set takes cache_none; "
            f"{type(cache).__name__} does not (the Cache port never stores None)"
        )
    return options


def _uncached(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """What ``@redis_cached`` with a ``ttl`` of ``0`` gives: every call runs *func*."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return await func(*args, **kwargs)

    wrapper.__serpens_redis_key__ = _no_key  # type: ignore[attr-defined]
    return wrapper


def _no_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The key of a call with caching off: none (``redis_cached_key`` answers ``None``)."""
    del args, kwargs


def _takes_cache_none(cache: AsyncCache) -> bool:
    try:
        return "cache_none" in inspect.signature(cache.get_or_set).parameters
    except (TypeError, ValueError):
        return False


def redis_cached_key(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> str | None:
    """The key at which ``@redis_cached`` stores ``func(*args, **kwargs)``.

    Pass the decorated function and the arguments of the call, exactly as the call
    takes them (a method's ``self`` included: it is dropped or kept as the decorator
    does). The result is the key that :func:`redis_get` and :func:`redis_delete` take
    (the prefix is added by them), so one entry can be invalidated::

        await redis_delete(redis_cached_key(get_product, "shoe"))

    Returns ``None`` when the arguments cannot be keyed (such a call bypasses the cache,
    so there is nothing to invalidate). Needs no connection.

    Raises:
        ValidationError: *func* is not decorated with ``@redis_cached``.
    """
    key_of = getattr(func, "__serpens_redis_key__", None)
    if key_of is None:
        name = getattr(func, "__qualname__", repr(func))
        raise ValidationError(f"{name} is not decorated with @redis_cached")
    return key_of(args, kwargs)  # type: ignore[no-any-return]
