"""What the idempotency suite's parts share: the capabilities, the clock, key names.

Kept apart from the cases so that importing the suite registers every name a case's
``@requires(...)`` may use, whichever case module is read first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# Imported first: the outage cases register a "strict_outage" of every port.
import serpens_contract.outage  # noqa: F401
from serpens.ports import IdempotencyStore
from serpens_contract._clock import ManualClock
from serpens_contract.capabilities import register_capability

__all__ = ["IdempotencyCapabilities", "ManualClock", "StoreMaker"]

StoreMaker = Callable[[str], IdempotencyStore]
"""``namespace -> store``: the same records for one namespace, others apart."""


@dataclass(frozen=True)
class IdempotencyCapabilities:
    """Honest differences between idempotency stores.

    Attributes:
        clock: ``"injected"`` when the store reads time from the suite's ``clock``
            fixture; ``"real"`` when time is the server's or the process's own.
        time_unit: a lease or TTL the store honours to within a tenth of itself in real
            time (Redis and PostgreSQL: 0.3 s; a store on a coarser clock: more).
        atomic_claims: of concurrent claims of one free key exactly one wins (every real
            backend; an emulator that checks a condition and writes without a lock,
            as moto's DynamoDB does, may let two win).
    """

    clock: Literal["injected", "real"] = "real"
    time_unit: float = 0.3
    atomic_claims: bool = True


register_capability(
    "idempotency",
    "injected_clock",
    lambda c: c.clock == "injected",
    "leases and TTLs follow the suite's ManualClock (boundaries tested without sleeping)",
)

register_capability(
    "idempotency",
    "atomic_claims",
    lambda c: c.atomic_claims,
    "of concurrent claims of one free key exactly one wins",
)


def _key() -> str:
    return f"k{uuid.uuid4().hex[:12]}"
