"""``AsyncRedisCache``: the :class:`serpens.ports.AsyncCache` port over ``redis.asyncio``.

``_cache.py`` is generated from this file (``scripts/unasync.py --check`` checks it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis import asyncio as aioredis

from serpens._rules.cache import (
    AsyncFlight,
    check_key,
    check_ttl,
    decode,
    encode,
    to_wire,
    ttl_millis,
)
from serpens.errors import SerializationError
from serpens.ports import JSONValue
from serpens_redis._errors import FAIL_OPEN, translate
from serpens_redis._failopen import FailOpen, guard_for, logger
from serpens_redis._lock_keeper import AsyncLockKeeper
from serpens_redis._pool import PoolSettings, async_executor, async_pool, plain_async_client

__all__ = ["AsyncRedisCache"]

T = TypeVar("T")
_FAILED: Any = object()

_RELEASE_LOCK = """
if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end
return 0
"""
_EXTEND_LOCK = """
if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end
return 0
"""


_LOCK_SUFFIX = b"\xfflock"
"""Ends a fill lock's key: byte 0xFF is never in UTF-8, and every cache key is UTF-8 text.

So ``<prefix>:<key>`` followed by it is no cache key under any prefix (a user key
``"k\x00lock"`` once named ``k``'s lock), while ``clear`` (``<prefix>:*``) still matches it.
"""


def _escape_glob(text: str) -> str:
    """Escape Redis ``MATCH`` pattern characters in *text*."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class AsyncRedisCache:
    """An :class:`~serpens.ports.AsyncCache` stored in Redis under ``"<prefix>:<key>"``.

    Values are strict JSON (``SET ... PX``, millisecond TTLs). ``get_or_set`` runs the
    factory once per key across all callers: in this process by single flight, across
    processes with a short Redis lock (``SET NX PX``) that its holder keeps alive while
    the factory runs; waiters poll for the value and take over when the lock vanishes
    without one (the holder died or failed).

    Commands go straight to a pooled connection (send, read, give back), skipping
    redis-py's ``execute_command`` layers; a client that is not a plain pooled one uses
    its own ``execute_command``.

    With ``fail_open=True`` (the default, as for the ``serpens.cache`` functions and
    decorators, so a cache object and ``redis_*`` behave alike) a Redis error never
    raises, as in serpens 2.9: on an outage or a command Redis refuses (``WRONGTYPE``: the
    key holds another type; an ACL's ``NOPERM``) reads miss, writes and
    deletes do nothing, ``get_or_set`` calls the factory (storing nothing), and a warning
    is logged; only outages count towards a circuit breaker that skips Redis
    for a short cool-down after repeated failures and warnings are rate-limited. One
    ``get_or_set`` waits for at most one failed command: after a timeout or a refused
    connection it calls the factory and stores nothing, so a frozen Redis costs one
    socket timeout per call, not three. Writes that Redis rejects while it still
    answers (``OOM`` at ``maxmemory`` under ``noeviction``, a read-only replica) do not
    open the breaker, so reads keep hitting while the cache is full. With
    ``fail_open=False`` (strict, the port's behaviour for backends that are not
    documented as fail-open) outages raise
    :class:`~serpens.errors.BackendUnavailableError` / ``BackendTimeoutError`` and a
    refused command :class:`~serpens.errors.BackendError` (never a redis-py error).

    Args:
        client: a ``redis.asyncio.Redis`` (bytes responses); see :meth:`from_url`.
        prefix: namespace of every key: Redis key ``"<prefix>:<key>"``, serpens 2.9's
            layout. Prefixes that nest share keys: key ``"sub:x"`` under ``"p"`` is key
            ``"x"`` under ``"p:sub"``, and :meth:`clear` (every key starting
            ``"<prefix>:"``) empties ``"p:sub"`` too. Caches meant to be apart need
            prefixes neither of which is the other followed by ``:``.
        default_ttl: seconds used when ``ttl`` is ``None``.
        fail_open: serve misses instead of raising while Redis is unreachable
            (default); ``False`` raises typed backend errors instead.
        lock_ttl: seconds the cross-process fill lock lives without being renewed.
        owns_client: close the client and its pool in :meth:`aclose`.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "serpens",
        default_ttl: float = 300.0,
        fail_open: bool = True,
        lock_ttl: float = 2.0,
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self._execute = async_executor(client)
        self.prefix = prefix
        self.default_ttl = check_ttl(default_ttl, default_ttl)
        self.guard: FailOpen | None = guard_for(client) if fail_open else None
        self._lock_ms = max(10, round(check_ttl(lock_ttl, lock_ttl) * 1000))
        self._owns = owns_client
        self._flight = AsyncFlight()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "serpens",
        default_ttl: float = 300.0,
        fail_open: bool = True,
        lock_ttl: float = 2.0,
        pool: PoolSettings | None = None,
    ) -> AsyncRedisCache:
        """Build a cache over a new bounded pool for *url*; :meth:`aclose` closes it."""
        client = plain_async_client(async_pool(url, pool or PoolSettings()))
        return cls(
            client,
            prefix=prefix,
            default_ttl=default_ttl,
            fail_open=fail_open,
            lock_ttl=lock_ttl,
            owns_client=True,
        )

    def __repr__(self) -> str:
        return f"AsyncRedisCache(prefix={self.prefix!r}, fail_open={self.guard is not None})"

    def key(self, key: str) -> str:
        """The Redis key of cache key *key*."""
        return f"{self.prefix}:{check_key(key)}"

    def lock_key(self, key: str) -> bytes:
        """The Redis key of *key*'s fill lock: :meth:`key`'s UTF-8, then byte 0xFF, ``lock``."""
        return self.key(key).encode() + _LOCK_SUFFIX

    async def _call(self, call: Callable[..., Awaitable[T]], *args: Any, operation: str = "") -> T:
        """Return ``await call(*args)``; under fail-open ``_FAILED`` instead of raising.

        *operation* names the call in warnings; by default the command (``args[0]``).
        """
        guard = self.guard
        if guard is None:
            try:
                return await call(*args)
            except FAIL_OPEN as exc:  # typed: Backend(Unavailable|Timeout)Error, BackendError
                raise translate(exc) from exc
        if not guard.allow():
            return _FAILED  # type: ignore[no-any-return]
        try:
            result = await call(*args)
        except FAIL_OPEN as exc:  # an outage, or a command Redis refused (WRONGTYPE)
            guard.failed(operation or str(args[0]), exc)
            return _FAILED  # type: ignore[no-any-return]
        guard.succeeded()
        return result

    @staticmethod
    def _decode(full: str, raw: Any, *, warn: bool = True) -> tuple[bool, JSONValue]:
        if raw is None or raw is _FAILED:
            return False, None
        try:
            return True, decode(raw)
        except SerializationError:
            if warn:
                logger.warning(
                    "cache entry %r is not JSON (written by another client); a miss", full
                )
            return False, None

    async def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get`."""
        full = self.key(key)
        return self._decode(full, await self._call(self._execute, "GET", full))[1]

    async def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.AsyncCache.set`."""
        full = self.key(key)
        millis = self._millis(ttl)
        text = encode(value, key=key)
        await self._call(self._execute, "SET", full, to_wire(text), "PX", millis)

    async def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.AsyncCache.delete`."""
        full = self.key(key)
        removed = await self._call(self._execute, "DEL", full)
        return removed is not _FAILED and bool(removed)

    async def clear(self) -> None:
        """See :meth:`serpens.ports.AsyncCache.clear`: SCAN + UNLINK of ``<prefix>:*``.

        That is every key under this prefix, those of a cache whose prefix nests in this
        one (``"<prefix>:sub"``) included. Each SCAN and UNLINK goes through the command
        path, so each round trip ends by the socket timeout as any other command does.
        """

        async def unlink_all() -> None:  # each SCAN and UNLINK a bounded command
            match, cursor = f"{_escape_glob(self.prefix)}:*", b"0"
            batch: list[Any] = []
            while True:
                cursor, names = await self._execute("SCAN", cursor, "MATCH", match, "COUNT", 500)
                batch.extend(names)
                done = int(cursor) == 0
                if batch and (done or len(batch) >= 500):  # noqa: PLR2004 - a SCAN page
                    await self._execute("UNLINK", *batch)
                    batch = []
                if done:
                    return

        await self._call(unlink_all, operation="SCAN")

    async def get_or_set(
        self,
        key: str,
        factory: Callable[[], Awaitable[JSONValue]],
        *,
        ttl: float | None = None,
        cache_none: bool = False,
    ) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get_or_set`.

        Args:
            key: the cache key.
            factory: called (once per key across callers) on a miss.
            ttl: seconds; ``None`` uses the default TTL.
            cache_none: also store a ``None`` result (as JSON ``null``), so it is a hit.
        """
        full = self.key(key)
        millis = self._millis(ttl)
        raw = await self._call(self._execute, "GET", full)
        found, value = self._decode(full, raw)
        if found and (value is not None or cache_none):
            return value
        if raw is _FAILED:  # one failed round trip is this call's whole Redis budget
            text = await self._flight.run(
                full, lambda: self._compute(full, factory, millis, cache_none, store=False)
            )
        else:
            text = await self._flight.run(
                full, lambda: self._fill(full, factory, millis, cache_none, seen=raw)
            )
        return None if text is None else decode(text)  # each caller decodes its own copy

    def _millis(self, ttl: float | None) -> int:
        return ttl_millis(check_ttl(ttl, self.default_ttl))

    def _hit(self, full: str, raw: object, cache_none: bool, *, warn: bool = True) -> str | None:
        """The stored text if *raw* (a GET's answer) is a hit for this call, else ``None``.

        *warn* ``False``: an entry that is not JSON is a miss without a warning.
        """
        found, value = self._decode(full, raw, warn=warn)
        if found and (value is not None or cache_none):
            return raw.decode() if isinstance(raw, bytes) else str(raw)
        return None

    async def _fill(
        self,
        full: str,
        factory: Callable[[], Awaitable[JSONValue]],
        millis: int,
        cache_none: bool,
        *,
        seen: object = None,
    ) -> str | None:
        """Fill *full* under the lock, or wait for the lock's holder to fill it.

        *seen* is the entry the caller's first read found: polls warn about an entry that
        is not JSON only when it is not the one last read (a wait over a foreign entry
        logs one warning, not one a poll).
        """
        lock, token = full.encode() + _LOCK_SUFFIX, uuid.uuid4().hex
        deadline = time.monotonic() + self._lock_ms / 1000 * 5
        delay = 0.005
        while True:  # the caller has just missed: try for the lock first
            acquired = await self._call(
                self._execute, "SET", lock, token, "NX", "PX", self._lock_ms
            )
            if acquired is _FAILED:
                return await self._compute(full, factory, millis, cache_none, store=False)
            if acquired:
                return await self._fill_locked(
                    full, factory, millis, cache_none, lock=lock, token=token
                )
            if time.monotonic() >= deadline:
                break  # the holder renews but never finishes: stop waiting for it
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
            raw = await self._call(self._execute, "GET", full)
            if raw is _FAILED:
                return await self._compute(full, factory, millis, cache_none, store=False)
            text = self._hit(full, raw, cache_none, warn=raw != seen)
            if text is not None:
                return text
            seen = raw
        return await self._compute(full, factory, millis, cache_none)

    async def _fill_locked(
        self,
        full: str,
        factory: Callable[[], Awaitable[JSONValue]],
        millis: int,
        cache_none: bool,
        *,
        lock: bytes,
        token: str,
    ) -> str | None:
        # Read again under the lock: a holder stores before it releases, so a lock won
        # just after another caller's fill finds that fill's value (no factory call).
        raw = await self._call(self._execute, "GET", full)
        if raw is _FAILED:
            return await self._compute(full, factory, millis, cache_none, store=False)
        text = self._hit(full, raw, cache_none)
        if text is not None:
            await self._call(self._execute, "EVAL", _RELEASE_LOCK, 1, lock, token)
            return text
        keeper = AsyncLockKeeper(lambda: self._renew_lock(lock, token), self._lock_ms / 3000)
        keeper.start()
        reachable = True
        try:
            text = await self._compute(full, factory, millis, cache_none, store=False)
            if text is not None:
                reachable = await self._store(full, text, millis)
            return text
        finally:
            await keeper.stop()
            if reachable:  # after a failed SET the release would only wait for a timeout too
                await self._call(self._execute, "EVAL", _RELEASE_LOCK, 1, lock, token)

    async def _renew_lock(self, lock: bytes, token: str) -> bool:
        """Extend *lock* if it is still ours; whether it is (``False`` also on an outage)."""
        renewed = await self._call(
            self._execute, "EVAL", _EXTEND_LOCK, 1, lock, token, self._lock_ms
        )
        return renewed is not _FAILED and bool(renewed)

    async def _compute(
        self,
        full: str,
        factory: Callable[[], Awaitable[JSONValue]],
        millis: int,
        cache_none: bool,
        *,
        store: bool = True,
    ) -> str | None:
        """Run *factory*; return its JSON text (``None``: not cached), stored if *store*."""
        value = await factory()
        if value is None and not cache_none:
            return None
        caller_key = full[len(self.prefix) + 1 :]  # errors name the key as set() does
        text = encode(value, key=caller_key)
        if store:
            await self._store(full, text, millis)
        return text

    async def _store(self, full: str, text: str, millis: int) -> bool:
        """``SET`` *text* at *full*; whether Redis took it (``False`` only under fail-open)."""
        stored = await self._call(self._execute, "SET", full, to_wire(text), "PX", millis)
        return stored is not _FAILED

    async def aclose(self) -> None:
        """Close the client and disconnect its pool, when this cache owns them."""
        if self._owns:
            await self.client.aclose()
            await self.client.connection_pool.aclose()
