"""In-memory fakes of the Cache ports, with an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from serpens._rules.cache import AsyncFlight, check_key, check_ttl, decode, encode
from serpens.ports import JSONValue

__all__ = ["AsyncInMemoryCache", "InMemoryCache"]


class InMemoryCache:
    """A :class:`serpens.ports.Cache` in a dict, for unit tests and as the contract model.

    Values are kept as JSON text, exactly as Redis keeps them, so a tuple reads back as
    a list and a non-JSON value raises :class:`~serpens.errors.SerializationError` here
    too. Time comes from *clock*; pass a controllable one to test expiry without sleeping.

    Args:
        clock: seconds, monotonic (``time.monotonic`` unless injected).
        default_ttl: seconds used when ``ttl`` is ``None``.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, default_ttl: float = 300.0
    ) -> None:
        self._clock = clock
        self._default_ttl = check_ttl(default_ttl, default_ttl)
        self._entries: dict[str, tuple[str, float]] = {}

    def keys(self) -> list[str]:
        """The live keys, sorted (an inspection helper, not part of the port)."""
        now = self._clock()
        return sorted(k for k, (_, expires) in self._entries.items() if now < expires)

    def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get`."""
        entry = self._entries.get(check_key(key))
        if entry is None:
            return None
        if self._clock() >= entry[1]:
            del self._entries[key]
            return None
        return decode(entry[0])

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.Cache.set`."""
        check_key(key)
        seconds = check_ttl(ttl, self._default_ttl)
        self._entries[key] = (encode(value, key=key), self._clock() + seconds)

    def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.Cache.delete`."""
        entry = self._entries.pop(check_key(key), None)
        return entry is not None and self._clock() < entry[1]

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get_or_set`."""
        check_ttl(ttl, self._default_ttl)
        hit = self.get(key)
        if hit is not None:
            return hit
        value = factory()
        if value is None:
            return None
        self.set(key, value, ttl=ttl)
        return self.get(key)

    def clear(self) -> None:
        """See :meth:`serpens.ports.Cache.clear`."""
        self._entries.clear()


class AsyncInMemoryCache:
    """The :class:`serpens.ports.AsyncCache` twin of :class:`InMemoryCache`.

    Concurrent ``get_or_set`` misses on one key await a single factory call, which
    survives the cancellation of the caller that started it.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, default_ttl: float = 300.0
    ) -> None:
        self._sync = InMemoryCache(clock=clock, default_ttl=default_ttl)
        self._flight = AsyncFlight()

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
        check_ttl(ttl, self._sync._default_ttl)  # noqa: SLF001 - the twin's own setting
        hit = self._sync.get(key)
        if hit is not None:
            return hit

        async def fill() -> None:
            if self._sync.get(key) is None:
                value = await factory()
                if value is not None:
                    self._sync.set(key, value, ttl=ttl)

        await self._flight.run(key, fill)
        return self._sync.get(key)

    async def clear(self) -> None:
        """See :meth:`serpens.ports.AsyncCache.clear`."""
        self._sync.clear()
