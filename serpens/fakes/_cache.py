"""In-memory fakes of the Cache ports, with an injectable clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

from serpens._rules.cache import AsyncFlight, check_key, check_ttl, decode, encode, ttl_millis
from serpens.fakes._outage import OutageSwitch
from serpens.ports import JSONValue

__all__ = ["AsyncInMemoryCache", "InMemoryCache"]


class InMemoryCache(OutageSwitch):
    """A :class:`serpens.ports.Cache` in a dict, for unit tests and as the contract model.

    Values are kept as JSON text, exactly as Redis keeps them, so a tuple reads back as
    a list and a non-JSON value raises :class:`~serpens.errors.SerializationError` here
    too. Time comes from *clock*; pass a controllable one to test expiry without sleeping.
    Safe to share between threads, as a Redis client is: an entry found expired is removed
    only if no other thread replaced it meanwhile.

    Under :meth:`outage` every call raises
    :class:`~serpens.errors.BackendUnavailableError`, like a strict Redis cache; with
    ``fail_open=True`` reads miss, writes do nothing, ``get_or_set`` returns the factory's
    value without storing it, and nothing raises, like ``RedisCache(fail_open=True)``.

    Args:
        clock: seconds, monotonic (``time.monotonic`` unless injected).
        default_ttl: seconds used when ``ttl`` is ``None``.
        fail_open: serve misses instead of raising during a simulated outage.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        default_ttl: float = 300.0,
        fail_open: bool = False,
    ) -> None:
        self._fail_open = fail_open
        self._clock = clock
        self._default_ttl = check_ttl(default_ttl, default_ttl)
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()  # held by every change of the entries

    @property
    def fail_open(self) -> bool:
        """Whether a simulated outage serves misses instead of raising."""
        return self._fail_open

    def keys(self) -> list[str]:
        """The live keys, sorted (an inspection helper, not part of the port)."""
        now = self._clock()
        with self._lock:
            return sorted(k for k, (_, expires) in self._entries.items() if now < expires)

    def _down(self) -> bool:
        """True in a fail-open outage; raises in a strict one; False otherwise."""
        if self._outage_kind is None:
            return False
        if self.fail_open:
            return True
        raise self._outage_error()

    def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get`."""
        check_key(key)
        if self._down():
            return None
        text = self._live(key)
        return None if text is None else decode(text)

    def _live(self, key: str) -> str | None:
        """The text stored under *key* if it has not expired; an expired entry is removed."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() < entry[1]:
            return entry[0]
        with self._lock:  # unless another thread replaced or removed it meanwhile
            if self._entries.get(key) is entry:
                del self._entries[key]
        return None

    def _seconds(self, ttl: float | None) -> float:
        """*ttl* checked and kept in whole milliseconds, as the Redis caches keep it."""
        return ttl_millis(check_ttl(ttl, self._default_ttl)) / 1000

    def _store(self, key: str, text: str, seconds: float) -> None:
        expires = self._clock() + seconds
        with self._lock:
            self._entries[key] = (text, expires)

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.Cache.set`."""
        check_key(key)
        seconds = self._seconds(ttl)
        text = encode(value, key=key)
        if self._down():
            return
        self._store(key, text, seconds)

    def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.Cache.delete`."""
        check_key(key)
        if self._down():
            return False
        with self._lock:
            entry = self._entries.pop(key, None)
        return entry is not None and self._clock() < entry[1]

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get_or_set`."""
        check_key(key)  # first, as the Redis caches check it
        seconds = self._seconds(ttl)
        hit = self.get(key)
        if hit is not None:
            return hit
        value = factory()
        if self._down():  # fail-open: the fresh value, as it would read back, not stored
            return None if value is None else decode(encode(value, key=key))
        if value is None:
            return None
        text = encode(value, key=key)
        self._store(key, text, seconds)
        return decode(text)  # what was stored, even if another thread deletes it at once

    def clear(self) -> None:
        """See :meth:`serpens.ports.Cache.clear`."""
        if self._down():
            return
        with self._lock:
            self._entries.clear()


class AsyncInMemoryCache(OutageSwitch):
    """The :class:`serpens.ports.AsyncCache` twin of :class:`InMemoryCache`.

    Concurrent ``get_or_set`` misses on one key await a single factory call, which
    survives the cancellation of the caller that started it. :meth:`outage` and
    *fail_open* behave as on :class:`InMemoryCache`.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        default_ttl: float = 300.0,
        fail_open: bool = False,
    ) -> None:
        self._sync = InMemoryCache(clock=clock, default_ttl=default_ttl, fail_open=fail_open)
        self._flight = AsyncFlight()

    @property
    def fail_open(self) -> bool:
        """Whether a simulated outage serves misses instead of raising."""
        return self._sync.fail_open

    def start_outage(self, *, timeout: bool = False) -> None:
        """Start a simulated outage (until :meth:`end_outage`); see :meth:`outage`."""
        self._sync.start_outage(timeout=timeout)

    def end_outage(self) -> None:
        """End the simulated outage: calls reach the stored state again."""
        self._sync.end_outage()

    @property
    def in_outage(self) -> bool:
        """Whether a simulated outage is on."""
        return self._sync.in_outage

    def keys(self) -> list[str]:
        """The live keys, sorted (an inspection helper, not part of the port)."""
        return self._sync.keys()

    async def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get`."""
        return self._sync.get(key)

    async def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.AsyncCache.set`."""
        self._sync.set(key, value, ttl=ttl)

    async def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.AsyncCache.delete`."""
        return self._sync.delete(key)

    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[JSONValue]], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get_or_set`."""
        store = self._sync
        check_key(key)  # first, as the Redis caches check it
        seconds = store._seconds(ttl)  # noqa: SLF001 - the twin's own setting
        hit = store.get(key)
        if hit is not None:
            return hit
        if store._down():  # noqa: SLF001 - fail-open outage: nothing to share or store
            value = await factory()
            return None if value is None else decode(encode(value, key=key))

        async def fill() -> str | None:
            text = store._live(key)  # noqa: SLF001 - filled while this call waited?
            if text is not None and decode(text) is not None:  # a stored null is a miss
                return text
            value = await factory()
            if value is None:
                return None
            text = encode(value, key=key)
            if not store._down():  # noqa: SLF001 - an outage begun meanwhile: raise, or not stored
                store._store(key, text, seconds)  # noqa: SLF001
            return text

        # every caller decodes its own copy of what was stored, even if it is deleted
        # before a waiter resumes
        text = await self._flight.run(key, fill)
        return None if text is None else decode(text)

    async def clear(self) -> None:
        """See :meth:`serpens.ports.AsyncCache.clear`."""
        self._sync.clear()
