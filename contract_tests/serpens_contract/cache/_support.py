"""What the cache cases are built from, shared by every case mixin and both suites.

:class:`AsyncCacheView` (an async cache seen through the sync port, so the example tests
are written once), fresh namespaces, the values no cache may store, and the disposal of
every cache a test opened. The ``clock`` fixture's class is ``serpens_contract._clock``'s.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from serpens.ports import AsyncCache, Cache, JSONValue


class AsyncCacheView:
    """A synchronous :class:`~serpens.ports.Cache` view of an async cache on one runner."""

    def __init__(self, target: AsyncCache, runner: asyncio.Runner) -> None:
        self.target = target
        self.runner = runner

    def get(self, key: str) -> JSONValue:
        return self.runner.run(self.target.get(key))

    def set(self, key: str, value: JSONValue, *, ttl: float | None = None) -> None:
        self.runner.run(self.target.set(key, value, ttl=ttl))

    def delete(self, key: str) -> bool:
        return self.runner.run(self.target.delete(key))

    def get_or_set(
        self, key: str, factory: Callable[[], JSONValue], *, ttl: float | None = None
    ) -> JSONValue:
        async def produce() -> JSONValue:
            return factory()

        return self.runner.run(self.target.get_or_set(key, produce, ttl=ttl))

    def clear(self) -> None:
        self.runner.run(self.target.clear())

    def close(self) -> None:
        """Close the target (``aclose``) if it has a close method."""
        aclose = getattr(self.target, "aclose", None)
        if aclose is not None:
            self.runner.run(aclose())


CacheMaker = Callable[[str], Cache]


def _namespace() -> str:
    return f"c{uuid.uuid4().hex[:12]}"


class _Unserialisable:
    def __repr__(self) -> str:
        return "<unserialisable>"


def _containing_itself(size: int) -> list[Any]:
    """A list of *size* items whose last item is a dict holding the list itself."""
    value: list[Any] = list(range(size - 1))
    value.append({"parent": value})
    return value


def _nested(depth: int, *bottom: Any) -> list[Any]:
    """A list nested *depth* levels deep (past any recursion limit JSON encoders have).

    The innermost list holds *bottom* (nothing by default).
    """
    value: list[Any] = list(bottom)
    for _ in range(depth):
        value = [value]
    return value


def _records_with(bad: Any, *, beside: Any = None) -> list[Any]:
    """Twenty records of mixed JSON values, the last holding *bad* deep inside.

    Large enough that no encoder takes a small-value shortcut: the bad part sits among
    plain leaves and containers (and *beside*, if given), where a check that inspects
    only some levels or only exact dicts would miss it.
    """
    records: list[Any] = [
        {"id": i, "name": f"n{i}", "tags": ["a"], "dims": {"w": i}, "at": beside} for i in range(20)
    ]
    records[-1]["dims"] = {"w": 0, "more": [bad]}
    return records


def _dispose(cache: Any) -> None:
    cache.clear()
    close = getattr(cache, "close", None)
    if close is not None:
        close()


class OpenedCaches:
    """The ``make_cache`` of a test: opens caches and disposes of each exactly once.

    Disposing clears a cache, then closes it if it has ``close`` (an async cache's view
    closes it with ``aclose``). The differential test disposes of each example's cache
    when the example ends (:meth:`dispose`), so a run of hundreds of examples holds one
    cache's connections at a time, not every example's: kept open until the test ended,
    they ran into a server's or a proxy's connection limit, which failed a correct cache.
    The test's end disposes of the rest (:meth:`dispose_all`).
    """

    def __init__(self, open_one: Callable[[str], Cache]) -> None:
        self._open = open_one
        self._opened: list[Cache] = []

    def __call__(self, namespace: str) -> Cache:
        cache = self._open(namespace)
        self._opened.append(cache)
        return cache

    def dispose(self, cache: Cache) -> None:
        """Clear and close *cache* now; the test's end leaves it alone."""
        self._opened = [c for c in self._opened if c is not cache]
        _dispose(cache)

    def dispose_all(self) -> None:
        """Clear and close every cache not disposed of yet."""
        opened, self._opened = self._opened, []
        for cache in opened:
            _dispose(cache)
