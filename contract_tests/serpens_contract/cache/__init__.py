"""Contract suites of the Cache ports (``serpens.ports.Cache`` and ``AsyncCache``).

Subclass :class:`CacheContract` (sync) or :class:`AsyncCacheContract` (async), override
the one factory fixture (``open_cache`` / ``open_async_cache``: a callable
``namespace -> cache`` whose caches with different namespaces do not see each other's
keys), and declare :class:`CacheCapabilities`. Implementations that take a clock
should use the suite's ``clock`` fixture and declare ``clock="injected"``: expiry is
then tested to the exact boundary without sleeping. Expiry is also tested on every
cell in real time (set restarts the TTL, ``get_or_set`` stores with the TTL it is given,
the default TTL expires), each with one short wait sized by ``ttl_resolution``;
injected-clock cells advance their clock instead. Two optional fixtures open more
tests: ``open_cache_with_default_ttl`` (``(namespace, default_ttl) -> cache``) and,
with ``outage`` declared, ``open_unreachable_cache`` (a cache whose backend cannot be
reached: fail-open caches miss and never raise, strict ones raise
``BackendUnavailableError``/``BackendTimeoutError``). The suite clears and closes
(``close``/``aclose``) every cache it opened.
"""

# The suites, split by theme into private modules of at most 400 lines: _capabilities
# (CacheCapabilities and the capability names), _support (ManualClock, AsyncCacheView,
# namespaces, values no cache may store), the case mixins _values, _operations, _expiry,
# _unreachable and _differential (with its state machine), joined by _tests
# (_CacheTests) into the two suites, _contract (CacheContract) and _async
# (AsyncCacheContract). Everything the single module exported is importable from here.

from serpens_contract._clock import ManualClock
from serpens_contract.cache._async import AsyncCacheContract
from serpens_contract.cache._async import AsyncCacheMaker as AsyncCacheMaker
from serpens_contract.cache._capabilities import CacheCapabilities
from serpens_contract.cache._contract import CacheContract
from serpens_contract.cache._support import AsyncCacheView
from serpens_contract.cache._support import CacheMaker as CacheMaker
from serpens_contract.cache._support import _containing_itself as _containing_itself
from serpens_contract.cache._support import _nested as _nested

__all__ = [
    "AsyncCacheContract",
    "AsyncCacheView",
    "CacheCapabilities",
    "CacheContract",
    "ManualClock",
]
