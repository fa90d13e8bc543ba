"""In-process caching decorators: ``cached`` (sync) and ``acached`` (async), by bucket.

Entries live in named buckets so related functions can be cleared together
(``clear_cache("secrets_manager")``). Values are kept as the objects the function
returned (no copy, no serialisation: an ORM row is fine), for ``ttl`` seconds of a
monotonic clock, at most ``maxsize`` per bucket (least recently used evicted first;
``CACHE_MAXSIZE``, default 10,000). ``None`` results are not cached unless
``cache_none=True``, so a lookup that found nothing is retried. Arguments that cannot
be hashed even after freezing lists, dicts and sets make that call bypass the cache
instead of failing.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from serpens._config import env_int
from serpens._rules.cache import AsyncFlight, Flight, check_ttl, ttl_is_off
from serpens.cache._keys import KeyBuilder
from serpens.cache._store import MISS, TTLStore
from serpens.errors import ValidationError

__all__ = ["acached", "cached", "clear_acache", "clear_cache"]

P = ParamSpec("P")
R = TypeVar("R")

_SYNC: dict[str, TTLStore] = {}
_ASYNC: dict[str, TTLStore] = {}
_REGISTRY_LOCK = threading.Lock()
_THREAD_FLIGHT = Flight()
_ASYNC_FLIGHT = AsyncFlight()


CACHE_MAXSIZE = "CACHE_MAXSIZE"
DEFAULT_MAXSIZE = 10_000
"""Entries per bucket unless ``maxsize=`` or ``CACHE_MAXSIZE`` say otherwise (~8 MiB)."""


def _maxsize(maxsize: int | None) -> int | None:
    """The bound a decorator asks for: *maxsize*, else ``CACHE_MAXSIZE``, else the default.

    ``0`` (argument or variable) means unbounded.
    """
    value = env_int(CACHE_MAXSIZE, DEFAULT_MAXSIZE, minimum=0) if maxsize is None else maxsize
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"maxsize must be an int >= 0 (0: unbounded), got {value!r}")
    return value or None


def _bucket(registry: dict[str, TTLStore], name: str, maxsize: int | None) -> TTLStore:
    if not isinstance(name, str) or not name:
        raise TypeError(f"a cache bucket name must be a non-empty str, got {name!r}")
    bound = _maxsize(maxsize)
    with _REGISTRY_LOCK:
        store = registry.get(name)
        if store is None:
            return registry.setdefault(name, TTLStore(max_entries=bound))
    current = store.max_entries
    if current is not None and (bound is None or bound > current):
        return store  # a bucket keeps the smallest bound any of its decorators asked for
    if bound is not None:
        store.bound(bound)
    return store


def cached(
    cache_name: str,
    ttl_in_seconds: float | None = None,
    *,
    cache_none: bool = False,
    skip_self: bool = False,
    maxsize: int | None = None,
    ttl: float | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a sync function's results in process memory for *ttl_in_seconds*.

    Keys are the call's arguments, independent of keyword order. Concurrent misses on
    one key from several threads call the function once. ``self`` is part of the key
    unless *skip_self* (each instance has its own entries).

    Args:
        cache_name: name of the bucket, for :func:`clear_cache` (2.9's parameter names
            throughout, so ``cached(cache_name="x", ttl_in_seconds=60)`` works).
        ttl_in_seconds: seconds an entry lives (monotonic clock); ``0`` turns caching
            off (every call runs the function), as in serpens 2.9. Required, unless
            *ttl* is given.
        cache_none: also cache ``None`` results (off: ``None`` means "look again").
        skip_self: leave the first positional argument out of the key.
        maxsize: bound on the bucket's entries, the least recently used evicted first;
            ``None`` reads ``CACHE_MAXSIZE`` (default 10,000), ``0`` means unbounded.
            A bucket shared by several functions keeps the smallest bound asked for.
        ttl: the same as *ttl_in_seconds*, under the name every other cache API uses;
            it wins when given.

    Raises:
        TypeError: neither *ttl_in_seconds* nor *ttl* is given.
        ValidationError: the TTL or *maxsize* is invalid.
        ConfigurationError: ``CACHE_MAXSIZE`` is not an int >= 0.

    Example:
        >>> @cached("squares", 60)
        ... def square(n: int) -> int:
        ...     return n * n
        >>> square(4)
        16
        >>> clear_cache("squares")
    """
    chosen = ttl_in_seconds if ttl is None else ttl
    if chosen is None:
        raise TypeError("cached() needs a TTL: cached(cache_name, ttl_in_seconds)")
    off = ttl_is_off(chosen)
    seconds = 0.0 if off else check_ttl(chosen, chosen)
    store = _bucket(_SYNC, cache_name, maxsize)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(func):
            raise TypeError(f"@cached is for sync functions; use @acached for {func.__qualname__}")
        if off:
            return _uncached(func)
        keys = KeyBuilder(func, skip_first=skip_self)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = keys.local(args, kwargs)
            if key is None:
                return func(*args, **kwargs)
            full = (keys, key)
            hit = store.get(full)
            if hit is not MISS:
                return hit  # type: ignore[no-any-return]
            with _THREAD_FLIGHT.hold(full):
                hit = store.get(full)
                if hit is not MISS:
                    return hit  # type: ignore[no-any-return]
                value = func(*args, **kwargs)
                if value is not None or cache_none:
                    store.set(full, value, seconds)
                return value

        return wrapper

    return decorate


def _uncached(func: Callable[P, R]) -> Callable[P, R]:
    """*func* behind a plain wrapper: what a ``ttl`` of ``0`` (caching off) decorates."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return func(*args, **kwargs)

    return wrapper


def clear_cache(cache_name: str) -> None:
    """Drop every entry of the sync bucket *cache_name* (unknown buckets are ignored)."""
    store = _SYNC.get(cache_name)
    if store is not None:
        store.clear()


def acached(
    cache_name: str,
    ttl_seconds: float = 300,
    *,
    cache_none: bool = False,
    skip_self: bool | None = None,
    maxsize: int | None = None,
    ttl: float | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Cache an async function's results in process memory for *ttl_seconds*.

    For methods (defined in a class body with ``self``/``cls`` first) the first
    positional argument is left out of the key, so every instance pointing at the same
    store shares entries; plain functions keep all their arguments. Concurrent misses
    on one key await a single call, which survives the cancellation of the first caller.
    Sharing is wrong when the result depends on the instance (a repository bound to one
    tenant): pass ``skip_self=False`` there, or tenants get each other's results.

    Args:
        cache_name: name of the bucket, for :func:`clear_acache` (2.9's name).
        ttl_seconds: seconds an entry lives (monotonic clock); ``0`` turns caching off,
            as in serpens 2.9.
        cache_none: also cache ``None`` results.
        skip_self: force (``True``) or prevent (``False``) dropping the first argument;
            ``None`` detects methods.
        maxsize: bound on the bucket's entries, as for :func:`cached`.
        ttl: the same as *ttl_seconds*, under the name every other cache API uses
            (``cached``, ``redis_cached``, the ``Cache`` ports); it wins when given.

    Raises:
        ValidationError: *ttl_seconds* or *maxsize* is invalid.
        ConfigurationError: ``CACHE_MAXSIZE`` is not an int >= 0.
    """
    chosen = ttl_seconds if ttl is None else ttl
    off = ttl_is_off(chosen)
    seconds = 0.0 if off else check_ttl(chosen, chosen)
    store = _bucket(_ASYNC, cache_name, maxsize)

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"@acached is for async functions; use @cached for {func.__qualname__}")
        if off:
            return _uncached(func)
        keys = KeyBuilder(func, skip_first=skip_self)

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = keys.local(args, kwargs)
            if key is None:
                return await func(*args, **kwargs)
            full = (keys, key)
            hit = store.get(full)
            if hit is not MISS:
                return hit  # type: ignore[no-any-return]

            async def fill() -> R:
                again = store.get(full)
                if again is not MISS:
                    return again  # type: ignore[no-any-return]
                value = await func(*args, **kwargs)
                if value is not None or cache_none:
                    store.set(full, value, seconds)
                return value

            return await _ASYNC_FLIGHT.run(full, fill)

        return wrapper

    return decorate


def clear_acache(cache_name: str | None = None) -> None:
    """Drop every entry of the async bucket *cache_name*, or of every async bucket."""
    stores = list(_ASYNC.values()) if cache_name is None else [_ASYNC.get(cache_name)]
    for store in stores:
        if store is not None:
            store.clear()
