"""Cache cases for a backend that cannot be reached: fail-open caches miss, strict ones raise.

One theme of :class:`~serpens_contract.cache._tests._CacheTests`, run when the suite
declares ``outage`` (fixture ``make_unreachable_cache``). Outages that start and end
while a cache is in use are ``CacheOutageCases`` in :mod:`serpens_contract.outage`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import BackendTimeoutError, BackendUnavailableError
from serpens.ports import JSONValue
from serpens_contract.cache._support import CacheMaker, _namespace
from serpens_contract.capabilities import requires


class _CacheUnreachableCases:
    """The declared outage mode against a backend that is never reachable."""

    @requires("fails_open")
    def test_an_unreachable_backend_reads_as_misses_and_never_raises(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Fail-open: reads miss, writes and deletes do nothing, get_or_set calls through."""
        cache = make_unreachable_cache(_namespace())
        assert cache.get("k") is None
        cache.set("k", 1, ttl=60)
        assert cache.get("k") is None
        assert cache.delete("k") is False
        assert cache.get_or_set("k", lambda: "computed", ttl=60) == "computed"
        assert cache.get_or_set("k", lambda: "again", ttl=60) == "again"
        cache.clear()

    @requires("strict_outage")
    def test_an_unreachable_backend_raises_typed_errors(
        self, make_unreachable_cache: CacheMaker
    ) -> None:
        """Strict: every operation raises a typed backend error; the factory is not called."""
        cache = make_unreachable_cache(_namespace())
        calls: list[int] = []

        def factory() -> JSONValue:
            calls.append(1)
            return 1

        operations: list[Callable[[], object]] = [
            lambda: cache.get("k"),
            lambda: cache.set("k", 1, ttl=60),
            lambda: cache.delete("k"),
            lambda: cache.get_or_set("k", factory, ttl=60),
        ]
        for operation in operations:
            with pytest.raises((BackendUnavailableError, BackendTimeoutError)):
                operation()
        assert calls == []
