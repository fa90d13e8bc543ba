"""The Cache port: a namespaced key/value store of JSON values with TTLs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias

__all__ = ["AsyncCache", "Cache", "JSONValue"]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""What a cache stores: values that survive a JSON round trip (tuples come back as lists)."""


class Cache(Protocol):
    """Synchronous cache of JSON values.

    Shared semantics (pinned by ``serpens_contract.CacheContract``):

    - Values round-trip through JSON on every implementation, fakes included: a tuple
      comes back as a list, dict keys must be strings. A value that cannot be encoded
      raises :class:`serpens.errors.SerializationError` and stores nothing.
    - ``ttl`` is in seconds (fractions allowed); an entry is visible strictly before
      ``set_time + ttl`` and gone from then on. ``ttl=None`` uses the implementation's
      default TTL; ``ttl <= 0`` or over 2^62 ms (about 146 million years, past which
      Redis refuses the expiry) raises :class:`serpens.errors.ValidationError`.
    - A miss returns ``None``; a stored JSON ``null`` is indistinguishable from a miss.
    - Keys are non-empty strings with a UTF-8 form, so no lone surrogate (else
      :class:`serpens.errors.ValidationError`); a value's strings may hold one;
      ``clear()`` removes only this cache's namespace. (The Redis cache's namespace is
      a key prefix, ``<prefix>:``, as in serpens 2.9: prefixes that nest, ``p`` and
      ``p:sub``, share keys; give caches prefixes that do not nest.)
    - Reads return fresh copies: mutating a returned value never changes the cache.
    - Backend outages raise :class:`serpens.errors.BackendUnavailableError` or
      :class:`serpens.errors.BackendTimeoutError`, unless the implementation is
      documented as fail-open (then reads miss and writes do nothing).
    - One cache may be shared between threads: concurrent calls raise nothing of their
      own, and ``get_or_set`` returns the value it stored (or found), even if another
      thread deletes the key at once.
    """

    def get(self, key: str) -> JSONValue:
        """Return the value stored under *key*, or ``None`` on a miss or after expiry."""
        ...

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """Store *value* under *key* for *ttl* seconds, replacing any previous value."""
        ...

    def delete(self, key: str) -> bool:
        """Remove *key*; return whether a live (unexpired) entry was removed."""
        ...

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        """Return the cached value, or call *factory*, store a non-``None`` result and return it.

        The result is returned as a later :meth:`get` would return it (after the JSON
        round trip). A ``None`` result is returned but not stored; an exception from
        *factory* propagates and stores nothing; a non-JSON result raises
        :class:`serpens.errors.SerializationError`.
        """
        ...

    def clear(self) -> None:
        """Remove every entry in this cache's namespace."""
        ...


class AsyncCache(Protocol):
    """Asynchronous twin of :class:`Cache`; every method has the same semantics."""

    async def get(self, key: str) -> JSONValue:
        """See :meth:`Cache.get`."""
        ...

    async def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        """See :meth:`Cache.set`."""
        ...

    async def delete(self, key: str) -> bool:
        """See :meth:`Cache.delete`."""
        ...

    async def get_or_set(
        self, key: str, factory: Callable[[], Awaitable[JSONValue]], *, ttl: float | None = None
    ) -> JSONValue:
        """See :meth:`Cache.get_or_set`; concurrent misses on one key call *factory* once.

        The single call runs on even if the caller that started it is cancelled, so the
        other callers still get its result, even if the key is deleted before they resume.
        """
        ...

    async def clear(self) -> None:
        """See :meth:`Cache.clear`."""
        ...
