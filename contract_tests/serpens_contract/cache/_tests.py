"""``_CacheTests``: the example tests of both cache suites, joined from the theme mixins.

Written once against the sync port; :class:`CacheContract` runs them on a ``Cache`` and
:class:`AsyncCacheContract` on an ``AsyncCache`` seen through :class:`AsyncCacheView`.
The class holds the ``clock`` and ``cache`` fixtures every theme uses.
"""

from __future__ import annotations

import pytest

from serpens.ports import Cache
from serpens_contract._clock import ManualClock
from serpens_contract.cache._differential import _CacheDifferentialCases
from serpens_contract.cache._expiry import _CacheExpiryCases
from serpens_contract.cache._operations import _CacheOperationCases
from serpens_contract.cache._support import CacheMaker, _namespace
from serpens_contract.cache._unreachable import _CacheUnreachableCases
from serpens_contract.cache._values import _CacheValueCases


# pytest collects a class's bases last-first: listed so that the tests run in the order
# values, operations, expiry, unreachable, differential.
class _CacheTests(
    _CacheDifferentialCases,
    _CacheUnreachableCases,
    _CacheExpiryCases,
    _CacheOperationCases,
    _CacheValueCases,
):
    """The example tests, written once against the sync port.

    The concrete suites provide the ``make_cache`` fixture (namespace -> sync view).
    """

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The clock implementations with ``clock="injected"`` must read."""
        return ManualClock()

    @pytest.fixture
    def cache(self, make_cache: CacheMaker) -> Cache:
        return make_cache(_namespace())
