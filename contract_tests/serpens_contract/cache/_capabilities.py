"""The cache's declared differences: :class:`CacheCapabilities` and its capability names.

Kept apart from the cases so that importing the suite registers every name a case's
``@requires(...)`` may use, whichever case module is read first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Imported first: the outage cases register a "strict_outage" of every port (read from
# ``outage_capabilities``), and the cache's own (read from ``capabilities.outage``) must
# replace it whichever module a process imports first.
import serpens_contract.outage  # noqa: F401
from serpens_contract.capabilities import register_capability


@dataclass(frozen=True)
class CacheCapabilities:
    """Honest differences between caches.

    Attributes:
        clock: ``"injected"`` when the cache reads time from the suite's ``clock``
            fixture; ``"real"`` when time is the server's or the process's own.
        ttl_resolution: the smallest TTL step in seconds the cache honours
            (Redis ``PX``: 0.001; a store with whole-second TTLs: 1.0; 0.0: exact). With
            0.001 and an injected clock, the suite checks TTLs are kept to the nearest
            millisecond, at least one, as Redis keeps them.
        outage: what the cache does when its backend is unreachable: ``"fail_open"``
            (misses, no-ops, never raises) or ``"strict"`` (typed backend errors);
            ``None`` (in-process caches) runs no outage test. Declaring it requires the
            ``open_unreachable_cache`` fixture.
        api_values: the cache also takes ``Decimal``, ``date``, ``datetime`` and
            ``UUID`` and stores them in the JSON form the API gives them, as serpens'
            caches do (beyond the port's JSON values, so a third party opts in).
    """

    clock: Literal["injected", "real"] = "real"
    ttl_resolution: float = 1.0
    outage: Literal["fail_open", "strict"] | None = None
    api_values: bool = False


register_capability(
    "cache",
    "injected_clock",
    lambda c: c.clock == "injected",
    "expiry follows the suite's ManualClock (boundaries tested without sleeping)",
)
register_capability(
    "cache",
    "millisecond_ttl",
    lambda c: c.clock == "injected" and c.ttl_resolution == 0.001,
    "TTLs are kept in whole milliseconds, to the nearest and at least one, as Redis keeps "
    "them (tested on the suite's clock)",
)
register_capability(
    "cache",
    "subsecond_ttl",
    lambda c: c.clock == "real" and c.ttl_resolution <= 0.01,
    "real-clock TTLs of a fraction of a second are honoured (tested with one short wait)",
)


register_capability(
    "cache",
    "api_values",
    lambda c: c.api_values,
    "Decimal, date, datetime and UUID are stored in their API JSON form",
)
register_capability(
    "cache",
    "fails_open",
    lambda c: c.outage == "fail_open",
    "an unreachable backend reads as misses; writes and deletes do nothing; never raises",
)
register_capability(
    "cache",
    "strict_outage",
    lambda c: c.outage == "strict",
    "an unreachable backend raises BackendUnavailableError / BackendTimeoutError",
)
