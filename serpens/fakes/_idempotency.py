"""In-memory IdempotencyStore: the records in a dict, on an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Callable

from serpens._rules.idempotency import (
    Record,
    check_claim,
    check_claim_args,
    check_result,
    check_seconds,
    decide,
    holds,
    lease_lost,
    read_result,
    token_after,
)
from serpens.fakes._outage import OutageSwitch
from serpens.ports._cache import JSONValue
from serpens.ports._idempotency import Claim, Replay

__all__ = ["InMemoryIdempotencyStore"]


class InMemoryIdempotencyStore(OutageSwitch):
    """A :class:`serpens.ports.IdempotencyStore` kept in a dict, for unit tests.

    Args:
        clock: seconds since the epoch (default ``time.time``); inject one to move time
            in a test. Fencing tokens are the clock in microseconds, or one more than
            the key's last token when that is higher.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._records: dict[str, Record] = {}

    def _now(self) -> int:
        return int(self._clock() * 1_000_000)

    async def claim(self, key: str, *, lease: float, fingerprint: str = "") -> Claim | Replay:
        """See :meth:`serpens.ports.IdempotencyStore.claim`."""
        lease_ms = check_claim_args(key, fingerprint, lease)
        self._check_outage()
        now = self._now()
        record = self._records.get(key)
        live = decide(record, key, fingerprint, now)
        if live is not None:
            return Replay(key, read_result(live.result))
        token = token_after(record, now)
        self._records[key] = Record(fingerprint, token, done=False, until=now + lease_ms * 1000)
        return Claim(key, token, lease_ms / 1000)

    async def complete(self, claim: Claim, result: JSONValue, *, ttl: float) -> None:
        """See :meth:`serpens.ports.IdempotencyStore.complete`."""
        check_claim(claim)
        ttl_ms = check_seconds(ttl, "ttl")
        text = check_result(result, claim.key)
        self._check_outage()
        now = self._now()
        record = self._records.get(claim.key)
        if record is None or not holds(record, claim, now):
            raise lease_lost(claim.key)
        record.done, record.until, record.result = True, now + ttl_ms * 1000, text

    async def release(self, claim: Claim) -> bool:
        """See :meth:`serpens.ports.IdempotencyStore.release`."""
        check_claim(claim)
        self._check_outage()
        record = self._records.get(claim.key)
        now = self._now()
        if record is None or not holds(record, claim, now):
            return False
        record.until = now  # free from now on; the token stays known, so the next is above it
        return True

    def keys(self) -> list[str]:
        """The keys claimed or completed and not yet expired, sorted (inspection helper)."""
        now = self._now()
        return sorted(key for key, record in self._records.items() if now < record.until)

    def __repr__(self) -> str:
        return f"InMemoryIdempotencyStore({len(self.keys())} live keys)"
