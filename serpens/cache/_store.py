"""In-process TTL stores: the engine of the decorators and of :class:`LocalCache`.

Time comes from a monotonic clock (injectable), so a wall-clock jump never expires or
revives entries. Expired entries are evicted, not just hidden: a read removes the
entry it finds expired, and every write pops the entries whose time has come from a
heap ordered by expiry, so memory follows the live entries only.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final

from serpens._rules.cache import (
    AsyncFlight,
    Flight,
    check_key,
    check_ttl,
    decode,
    encode,
    ttl_millis,
)
from serpens.errors import ValidationError
from serpens.ports import JSONValue

__all__ = ["MISS", "AsyncLocalCache", "LocalCache", "TTLStore"]

MISS: Final = object()
"""Returned by :meth:`TTLStore.get` on a miss (``None`` may be a stored value)."""

Clock = Callable[[], float]


def _monotonic() -> float:
    """``time.monotonic()``, looked up at each call: the default clock of the stores.

    serpens 2.9 called ``time.monotonic()`` at each lookup, so a test could expire an
    entry with ``unittest.mock.patch("time.monotonic", ...)``; a reference to the
    function taken once would ignore such a patch.
    """
    return time.monotonic()


class TTLStore:
    """A dict of entries that expire, safe to share between threads.

    Args:
        clock: seconds from a monotonic source; ``time.monotonic()`` (looked up at each
            call, so a patched ``time.monotonic`` applies) unless injected.
        max_entries: optional bound; when exceeded, the least recently used entries go
            first (a read or a write makes an entry the most recently used).
    """

    def __init__(self, *, clock: Clock | None = None, max_entries: int | None = None) -> None:
        self._clock = _monotonic if clock is None else clock
        self._max: int | None = None
        self.bound(max_entries)
        self._entries: OrderedDict[Hashable, tuple[Any, float, int]] = OrderedDict()
        self._heap: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def max_entries(self) -> int | None:
        """The bound on entries (``None``: unbounded)."""
        return self._max

    def bound(self, max_entries: int | None) -> None:
        """Set the bound; the least recently used entries go when it is exceeded.

        Raises:
            ValidationError: *max_entries* is not ``None`` nor an int of at least 1.
        """
        if max_entries is not None and (
            isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1
        ):
            raise ValidationError(f"max_entries must be an int of at least 1, got {max_entries!r}")
        self._max = max_entries
        if max_entries is not None and hasattr(self, "_entries"):
            with self._lock:
                self._evict(self._clock())

    def get(self, key: Hashable) -> Any:
        """Return the live value under *key*, or :data:`MISS` (evicting an expired entry)."""
        entry = self._entries.get(key)
        if entry is None:
            return MISS
        if self._clock() < entry[1]:
            if self._max is not None:
                try:  # noqa: SIM105 - contextlib.suppress would cost more than the hit
                    self._entries.move_to_end(key)  # most recently used
                except KeyError:  # deleted meanwhile by another thread: still a hit
                    pass
            return entry[0]
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
        return MISS

    def set(self, key: Hashable, value: Any, ttl: float) -> None:
        """Store *value* under *key* until ``now + ttl``."""
        now = self._clock()
        with self._lock:
            seq = next(self._seq)
            expires = now + ttl
            self._entries[key] = (value, expires, seq)
            self._entries.move_to_end(key)
            heapq.heappush(self._heap, (expires, seq, key))
            self._evict(now)

    def delete(self, key: Hashable) -> bool:
        """Remove *key*; return whether a live entry was removed."""
        with self._lock:
            entry = self._entries.pop(key, None)
        return entry is not None and self._clock() < entry[1]

    def clear(self) -> None:
        """Remove every entry."""
        with self._lock:
            self._entries.clear()
            self._heap.clear()

    def _evict(self, now: float) -> None:
        heap, entries = self._heap, self._entries
        while heap and heap[0][0] <= now:
            _, seq, key = heapq.heappop(heap)
            entry = entries.get(key)
            if entry is not None and entry[2] == seq:
                del entries[key]
        if self._max is not None:
            while len(entries) > self._max:
                entries.popitem(last=False)  # the least recently used
        if len(heap) > 2 * len(entries) + 64:  # overwritten keys left stale heap rows
            heap[:] = [(e[1], e[2], k) for k, e in entries.items()]
            heapq.heapify(heap)


class _LocalBase:
    def __init__(
        self,
        *,
        default_ttl: float = 300.0,
        clock: Clock | None = None,
        max_entries: int | None = None,
    ) -> None:
        self._default_ttl = check_ttl(default_ttl, default_ttl)
        self._store = TTLStore(clock=clock, max_entries=max_entries)

    def _get(self, key: str) -> JSONValue:
        text = self._store.get(check_key(key))
        return None if text is MISS else decode(text)

    def _set(self, key: str, value: JSONValue, ttl: float | None) -> None:
        self._store.set(key, encode(value, key=key), self._seconds(key, ttl))

    def _seconds(self, key: str, ttl: float | None) -> float:
        """Check *key*, then *ttl*: kept in whole milliseconds, as the Redis caches keep it."""
        check_key(key)
        return ttl_millis(check_ttl(ttl, self._default_ttl)) / 1000

    def _store_result(self, key: str, value: JSONValue, ttl: float) -> str | None:
        """Store a factory's result (never ``None``); return its JSON text."""
        if value is None:
            return None
        text = encode(value, key=key)
        self._store.set(key, text, ttl)
        return text

    def _text(self, key: str) -> str | None:
        """The stored JSON text, or ``None`` on a miss or a stored ``null`` (also a miss)."""
        text = self._store.get(key)
        return None if text is MISS or text == _NULL else text

    def __len__(self) -> int:
        return len(self._store)


_NULL = encode(None)


class LocalCache(_LocalBase):
    """A :class:`serpens.ports.Cache` in this process's memory, shared between threads.

    Values are stored as JSON text, so they round-trip exactly as through Redis and a
    caller mutating what it got changes nothing here. Concurrent ``get_or_set`` misses
    on one key (from several threads) call the factory once.

    Args:
        default_ttl: seconds used when ``ttl`` is ``None``.
        clock: monotonic seconds (default ``time.monotonic()``, looked up at each call);
            inject one to test expiry without sleeping.
        max_entries: optional bound on entries; the least recently used go first.
    """

    def __init__(
        self,
        *,
        default_ttl: float = 300.0,
        clock: Clock | None = None,
        max_entries: int | None = None,
    ) -> None:
        super().__init__(default_ttl=default_ttl, clock=clock, max_entries=max_entries)
        self._flight = Flight()

    def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get`."""
        return self._get(key)

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.Cache.set`."""
        self._set(key, value, ttl)

    def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.Cache.delete`."""
        return self._store.delete(check_key(key))

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.Cache.get_or_set`."""
        seconds = self._seconds(key, ttl)
        hit = self._get(key)
        if hit is not None:
            return hit
        with self._flight.hold(key):
            hit = self._get(key)
            if hit is not None:
                return hit
            text = self._store_result(key, factory(), seconds)
            return None if text is None else decode(text)

    def clear(self) -> None:
        """See :meth:`serpens.ports.Cache.clear`."""
        self._store.clear()


class AsyncLocalCache(_LocalBase):
    """A :class:`serpens.ports.AsyncCache` in this process's memory (see :class:`LocalCache`).

    Concurrent ``get_or_set`` misses on one key await a single factory call, which
    survives the cancellation of the caller that started it.
    """

    def __init__(
        self,
        *,
        default_ttl: float = 300.0,
        clock: Clock | None = None,
        max_entries: int | None = None,
    ) -> None:
        super().__init__(default_ttl=default_ttl, clock=clock, max_entries=max_entries)
        self._flight = AsyncFlight()

    async def get(self, key: str) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get`."""
        return self._get(key)

    async def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`serpens.ports.AsyncCache.set`."""
        self._set(key, value, ttl)

    async def delete(self, key: str) -> bool:
        """See :meth:`serpens.ports.AsyncCache.delete`."""
        return self._store.delete(check_key(key))

    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[JSONValue]], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`serpens.ports.AsyncCache.get_or_set`."""
        seconds = self._seconds(key, ttl)
        hit = self._get(key)
        if hit is not None:
            return hit

        async def fill() -> str | None:
            text = self._text(key)
            if text is not None:
                return text
            return self._store_result(key, await factory(), seconds)

        text = await self._flight.run(key, fill)
        return None if text is None else decode(text)  # each caller gets its own copy

    async def clear(self) -> None:
        """See :meth:`serpens.ports.AsyncCache.clear`."""
        self._store.clear()
