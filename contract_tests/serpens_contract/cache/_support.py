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
