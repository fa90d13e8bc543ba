"""The Redis flavour: a process-wide, fail-open, JSON cache shared across workers.

``redis_init`` reads ``REDIS_URL``, ``CACHE_PREFIX`` (default ``serpens``) and
``CACHE_TTL`` (default 300 s) when it is called, never at import, and builds one
bounded connection pool (``BlockingConnectionPool``: at most ``max_connections``
connections; a caller waits up to ``pool_timeout`` seconds for a free one). Calling it
again with a different URL closes the old pool and connects to the new server.
Everything here fails open: a Redis outage reads as a miss, writes and deletes do
nothing, decorated functions are simply called; warnings are rate-limited and a
circuit breaker skips Redis for a short cool-down. Using any of it before
``redis_init`` raises ``NotInitializedError`` (a ``RuntimeError``).

``RedisPool``/``redis_pool`` live in :mod:`serpens.cache._redis_pool` and the parts of
``@redis_cached`` that need no connection in :mod:`serpens.cache._redis_decoration`;
both are re-exported here.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from serpens import _tracing
from serpens._config import env_float, env_str
from serpens._rules.cache import ttl_is_off
from serpens._rules.plain_json import is_plain_json
from serpens.cache._keys import KeyBuilder, claim_bucket
from serpens.cache._redis_decoration import _fill_options, _uncached, redis_cached_key
from serpens.cache._redis_pool import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_POOL_TIMEOUT,
    RedisPool,
    _adapter,
    redis_pool,
)
from serpens.errors import (
    ConfigurationError,
    MissingExtraError,
    NotInitializedError,
    SerializationError,
    mask_url,
)
from serpens.ports import AsyncCache, JSONValue

if TYPE_CHECKING:
    from serpens_redis import AsyncRedisCache, FailOpenRedis

__all__ = [
    "RedisPool",
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

P = ParamSpec("P")
R = TypeVar("R")

REDIS_URL = "REDIS_URL"
CACHE_PREFIX = "CACHE_PREFIX"
CACHE_TTL = "CACHE_TTL"
DEFAULT_PREFIX = "serpens"
DEFAULT_TTL = 300.0

logger = logging.getLogger("serpens.cache")  # the fail-open warnings of serpens_redis use it too
logger.addFilter(_tracing.LOG_FIELDS)  # request_id, message_id, trace_id on every record


@dataclass(repr=False)
class _State:
    url: str
    max_connections: int
    pool_timeout: float
    options: dict[str, Any]
    cache: AsyncRedisCache
    client: FailOpenRedis
    loop: weakref.ref[asyncio.AbstractEventLoop]

    def __repr__(self) -> str:  # the URL may carry a password: never show it
        return (
            f"_State(url={mask_url(self.url)!r}, max_connections={self.max_connections}, "
            f"pool_timeout={self.pool_timeout}, cache={self.cache!r})"
        )


_state: _State | None = None


def _connect(  # noqa: PLR0917 - private: redis_init's settings, passed on as they are
    url: str,
    prefix: str,
    ttl: float,
    max_connections: int,
    pool_timeout: float,
    options: dict[str, Any],
) -> _State:
    adapter = _adapter()
    settings = adapter.PoolSettings(
        max_connections=max_connections, pool_timeout=pool_timeout, options=options
    )
    pool = adapter.async_pool(url, settings)
    cache = adapter.AsyncRedisCache(
        adapter.plain_async_client(pool), prefix=prefix, default_ttl=ttl, fail_open=True
    )
    # The raw client answers str, as serpens 2.9's did (decode_responses=True): its own
    # pool, since decoding is a connection setting and the cache reads bytes.
    decoding = replace(settings, options={"decode_responses": True, **options})
    client = adapter.FailOpenRedis.over(adapter.async_pool(url, decoding), cache.guard)
    loop = weakref.ref(asyncio.get_running_loop())
    return _State(url, max_connections, pool_timeout, options, cache, client, loop)


class _URLNotSetError(ConfigurationError, KeyError):
    """No URL and ``REDIS_URL`` unset; a ``KeyError`` too, as 2.9's ``os.environ`` read raised."""

    __str__ = BaseException.__str__  # the message as written, not KeyError's repr of it


async def redis_init(
    url: object = None,
    *,
    prefix: str | None = None,
    ttl: float | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    **options: Any,
) -> FailOpenRedis:
    """Connect the process-wide Redis cache (idempotent; a new URL or setting reconnects).

    Args:
        url: Redis URL (a ``str``, or any object whose ``str()`` is one, such as
            pydantic's ``RedisDsn``); default ``REDIS_URL``.
        prefix: key prefix (keys are ``"<prefix>:<key>"``); default ``CACHE_PREFIX`` or ``serpens``.
        ttl: default TTL in seconds; default ``CACHE_TTL`` or 300.
        max_connections: pool bound; callers beyond it wait for a free connection.
        pool_timeout: seconds a caller waits for a free connection before a miss.
        **options: redis-py connection options (``socket_timeout``,
            ``health_check_interval``, ``ssl_ca_certs``, ...), as serpens 2.9 passed its
            extra arguments to ``Redis.from_url``; options in the URL's query win.

    Returns:
        :func:`redis_get_client`'s client, as serpens 2.9's ``redis_init`` did.

    Raises:
        ConfigurationError: no URL is given and ``REDIS_URL`` is unset, or a setting (the
            URL or an option name included) is malformed.
        MissingExtraError: ``serpens[redis]`` is not installed.
    """
    global _state  # noqa: PLW0603 - the documented process-wide singleton
    target = str(url) if url else env_str(REDIS_URL)
    if not target:
        raise _URLNotSetError(f"{REDIS_URL} is not set and redis_init() got no url")
    key_prefix = prefix if prefix is not None else env_str(CACHE_PREFIX, DEFAULT_PREFIX)
    if not key_prefix:
        raise ConfigurationError(f"{CACHE_PREFIX} must not be empty")
    seconds = ttl if ttl is not None else env_float(CACHE_TTL, DEFAULT_TTL)
    if seconds <= 0:
        raise ConfigurationError(f"{CACHE_TTL} must be > 0")
    state = _state
    if (
        state is not None
        and state.url == target
        and state.max_connections == max_connections
        and state.pool_timeout == pool_timeout
        and state.options == options
        and state.loop() is asyncio.get_running_loop()
    ):
        state.cache.prefix, state.cache.default_ttl = str(key_prefix), float(seconds)
        return state.client
    if state is not None:
        await _close(state)
        _state = None
    try:
        _state = _connect(
            target, str(key_prefix), float(seconds), max_connections, pool_timeout, options
        )
    except MissingExtraError:
        raise  # the SDK is not installed: nothing is wrong with the URL
    except ConfigurationError as exc:
        where = "the url given to redis_init()" if url else REDIS_URL
        raise ConfigurationError(f"{where} is invalid: {exc}") from exc
    return _state.client


async def _close(state: _State) -> None:
    if state.loop() is asyncio.get_running_loop():
        await state.cache.client.connection_pool.aclose()
        await state.client.connection_pool.aclose()


async def redis_close() -> None:
    """Disconnect every pooled connection and forget the settings (idempotent)."""
    global _state
    state, _state = _state, None
    if state is not None:
        await _close(state)


def _current() -> _State:
    global _state  # noqa: PLW0603 - the documented process-wide singleton
    state = _state
    if state is None:
        raise NotInitializedError(
            "the Redis cache is not initialised: await redis_init() at startup"
        )
    if state.loop() is not asyncio.get_running_loop():
        # A new event loop (a Lambda runtime or a test runner replaced it): connections
        # belong to their loop, so reconnect with the same settings.
        cache = state.cache
        _state = state = _connect(
            state.url,
            cache.prefix,
            cache.default_ttl,
            state.max_connections,
            state.pool_timeout,
            state.options,
        )
    return state


def redis_get_client() -> FailOpenRedis:
    """A fail-open ``redis.asyncio.Redis`` on the cache's server (keys are not prefixed).

    It answers ``str`` (``decode_responses=True``), as serpens 2.9's client did, over a
    pool of its own with the cache's bound and options; it shares the cache's circuit
    breaker.

    Raises:
        NotInitializedError: :func:`redis_init` has not run (a ``RuntimeError``).
    """
    return _current().client


_PLAIN = frozenset({str, int, bool, float})


def _as_29_json(value: Any) -> JSONValue:
    """*value* as serpens 2.9 stored it: ``json.dumps(value, default=str)``, read back.

    2.9's functions wrote whatever ``json.dumps`` with ``default=str`` made of a value
    (``Decimal("0.1")`` the string ``"0.1"``, a datetime ``str(dt)``, an ``Enum``
    ``"Color.RED"``, a set, ``bytes`` or a dataclass their ``str()``, ``{1: "a"}``
    ``{"1": "a"}``), so the ``redis_*`` names keep that; the ``Cache`` objects keep their
    strict encoder. Plain JSON scalars are returned as they are.
    """
    if value is None or type(value) in _PLAIN or is_plain_json(value):
        return value  # type: ignore[no-any-return]  # json.dumps then loads gives it back equal
    try:
        text = json.dumps(value, default=str)
    except ValueError:  # a value that contains itself (2.9.0 raised this ValueError)
        raise SerializationError("cannot cache a value that contains itself") from None
    return json.loads(text)  # type: ignore[no-any-return]


async def redis_get(key: str) -> JSONValue:
    """Return the JSON value at ``"<prefix>:<key>"``; ``None`` on a miss or outage."""
    return await _current().cache.get(key)


async def redis_set(key: str, value: Any, ttl: float | None = None) -> None:
    """Store *value* as JSON for *ttl* seconds (default ``CACHE_TTL``); no-op on outage.

    As in serpens 2.9, a value JSON has no form for is stored as its ``str()``
    (``json.dumps(value, default=str)``: a ``Decimal`` as ``"0.1"``, a datetime as
    ``"2024-01-02 03:04:05"``, an ``Enum`` as ``"Color.RED"``). A *ttl* of ``0`` stores
    nothing (the entry would expire at once), as in serpens 2.9.

    Raises:
        SerializationError: *value* holds a NaN or infinite float, or contains itself
            (nothing is stored).
    """
    state = _current()
    if ttl_is_off(ttl):
        return
    await state.cache.set(key, _as_29_json(value), ttl=ttl)


async def redis_delete(key: str) -> bool:
    """Delete *key*; return whether an entry was removed (``False`` on outage)."""
    return await _current().cache.delete(key)


async def _call(factory: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    result = factory(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def redis_cached_get_or_set(
    key: str, ttl: float | None, func: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Return the value cached at *key*, or ``func(*args, **kwargs)`` stored for *ttl* s.

    serpens 2.9.0's signature, keywords included (``key=``, ``ttl=``, ``func=``): so
    *func*'s own keyword arguments cannot be named ``key``, ``ttl`` or ``func``; use
    :func:`cached_get_or_set` (whose first three are positional-only) for those.
    *func* may be sync or async. Concurrent misses run it once: once per process
    (single flight) and once across processes (a short Redis lock, taken over if its
    holder dies). A ``None`` result is returned but not stored. On a Redis outage the
    factory is simply called. The result is what a later hit returns (JSON round trip),
    encoded as serpens 2.9 did (a value JSON has no form for as its ``str()``, see
    :func:`redis_set`).
    A *ttl* of ``0`` turns caching off: the factory is called and nothing is read or stored.
    """
    state = _current()
    if ttl_is_off(ttl):
        return await _call(func, args, kwargs)
    return await state.cache.get_or_set(key, lambda: _fill_29(func, args, kwargs), ttl=ttl)


async def _fill_29(factory: Callable[..., Any], args: Any, kwargs: Any) -> JSONValue:
    """Call *factory*; its result as serpens 2.9 stored it (:func:`_as_29_json`)."""
    return _as_29_json(await _call(factory, args, kwargs))


def redis_cached(
    name: str,
    ttl: float | None = None,
    *,
    cache_none: bool = False,
    skip_self: bool | None = None,
    cache: AsyncCache | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Cache an async function's JSON result in Redis, keyed by bucket and arguments.

    A call whose arguments are all plain ``str``/``int`` keeps serpens 2.9's readable
    key, ``"<prefix>:<bucket>:<arg1>:<arg2>:<name>=<value>"`` (keyword arguments sorted
    by name), so ``redis_delete("<bucket>:<arg>")`` invalidates ``f(arg)``; that needs
    each ``str`` free of ``:``, ``=`` and control characters, not starting with ``#``,
    and the whole key at most 200 characters. Every other call is stored under
    ``"<prefix>:<bucket>:#<digest>"``, a digest of the function's qualified name and its
    bound arguments. A method's ``self`` is left out of both (see ``acached``).
    :func:`redis_cached_key` gives the key of any call. Arguments that cannot be keyed
    (arbitrary objects) make that call bypass the cache. The result comes back as a
    later hit would (JSON round trip: tuples become lists), encoded as serpens 2.9 did
    (a value JSON has no form for as its ``str()``, see :func:`redis_set`).

    Args:
        name: the bucket, a key namespace under the prefix (2.9's parameter name).
        ttl: seconds; ``None`` uses ``CACHE_TTL`` as read by :func:`redis_init`; ``0``
            turns caching off (every call runs the function), as in serpens 2.9.
        cache_none: also cache ``None`` results.
        skip_self: force or prevent dropping the first argument (``None``: methods only).
            The default shares entries between instances: two tenant objects get each
            other's results. ``skip_self=False`` keeps ``self`` in the key; it must then
            define ``__cache_key__()`` (a JSON-able value such as the tenant id),
            otherwise each call bypasses the cache.
        cache: an :class:`~serpens.ports.AsyncCache` to use instead of the process-wide
            Redis cache (then :func:`redis_init` is not needed): an ``AsyncInMemoryCache``
            fake in unit tests, an ``AsyncRedisCache`` of your own. Entries live at
            the same keys in it (without the prefix); ``ttl=None`` uses its default TTL.

    Raises:
        ValidationError: *cache_none* with an injected cache whose ``get_or_set`` does
            not take ``cache_none`` (the port's does not store ``None``).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a cache bucket name must be a non-empty str, got {name!r}")
    off = ttl_is_off(ttl)
    options = _fill_options(ttl, off, cache, cache_none)

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        if not inspect.iscoroutinefunction(func):
            raise TypeError(f"@redis_cached is for async functions, not {func.__qualname__}")
        if off:
            return _uncached(func)
        keys = KeyBuilder(func, skip_first=skip_self)
        claim_bucket(name, keys.name)  # warns when another function keys under it
        key_of = functools.partial(keys.redis, name)

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            store: Any = cache if cache is not None else _current().cache
            key = keys.redis(name, args, kwargs)
            if key is None:
                logger.debug("%s: arguments cannot form a cache key; calling through", keys.name)
                return await func(*args, **kwargs)
            return await store.get_or_set(  # type: ignore[no-any-return]
                key, lambda: _fill_29(func, args, kwargs), **options
            )

        wrapper.__serpens_redis_key__ = key_of  # type: ignore[attr-defined]
        return wrapper

    return decorate
