"""``CacheContract``: the suite every sync :class:`~serpens.ports.Cache` must pass.

Its fixtures open, and afterwards clear and close, every cache a test uses; the tests
are :class:`~serpens_contract.cache._tests._CacheTests`, ``CacheOutageCases`` and the
threads' cases of :mod:`serpens_contract.cache._threads`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest

from serpens.ports import Cache
from serpens_contract._suite import ContractSuite
from serpens_contract.cache._capabilities import CacheCapabilities
from serpens_contract.cache._support import CacheMaker, OpenedCaches, _dispose
from serpens_contract.cache._tests import _CacheTests
from serpens_contract.cache._threads import _CacheThreadCases
from serpens_contract.outage import CacheOutageCases


class CacheContract(_CacheThreadCases, _CacheTests, CacheOutageCases, ContractSuite):
    """Every :class:`~serpens.ports.Cache` must pass these tests.

    Override ``open_cache`` to return a callable ``namespace -> Cache``.
    """

    contract = "cache"
    capabilities: ClassVar[CacheCapabilities] = CacheCapabilities()

    @pytest.fixture
    def open_cache(self) -> CacheMaker:
        pytest.fail("override `open_cache`: return a callable namespace -> Cache")

    @pytest.fixture
    def make_cache(self, open_cache: CacheMaker) -> Iterator[OpenedCaches]:
        opened = OpenedCaches(open_cache)
        yield opened
        opened.dispose_all()

    @pytest.fixture
    def open_cache_with_default_ttl(self) -> Callable[[str, float], Cache] | None:
        """Override to test default-TTL expiry: ``(namespace, default_ttl) -> Cache``."""
        return None

    @pytest.fixture
    def make_default_ttl_cache(
        self, open_cache_with_default_ttl: Callable[[str, float], Cache] | None
    ) -> Iterator[Callable[[str, float], Cache] | None]:
        if open_cache_with_default_ttl is None:
            yield None
            return
        opened: list[Cache] = []

        def make(namespace: str, default_ttl: float) -> Cache:
            opened.append(cache := open_cache_with_default_ttl(namespace, default_ttl))
            return cache

        yield make
        for cache in opened:
            _dispose(cache)

    @pytest.fixture
    def open_unreachable_cache(self) -> CacheMaker:
        """Override when ``outage`` is declared: a cache whose backend cannot be reached."""
        pytest.fail("override `open_unreachable_cache`: the suite declares an outage mode")

    @pytest.fixture
    def make_unreachable_cache(self, open_unreachable_cache: CacheMaker) -> Iterator[CacheMaker]:
        opened: list[Cache] = []

        def make(namespace: str) -> Cache:
            opened.append(cache := open_unreachable_cache(namespace))
            return cache

        yield make
        for cache in opened:
            close = getattr(cache, "close", None)
            if close is not None:
                close()
