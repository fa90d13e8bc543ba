"""The IdempotencyStore port: run a call once per key, replay its result to retries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from serpens.ports._cache import JSONValue

__all__ = ["Claim", "IdempotencyStore", "Replay"]


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to run the call of ``key`` until its lease ends: complete or release it.

    ``token`` is a fencing token: greater than every token the store issued for ``key``
    before (on a clock that does not go back), so a downstream write can refuse a holder
    whose lease was taken over. ``lease`` is the lease granted, in seconds.
    """

    key: str
    token: int
    lease: float


@dataclass(frozen=True, slots=True)
class Replay:
    """The result a completed call of ``key`` stored: return it instead of running again."""

    key: str
    result: JSONValue


class IdempotencyStore(Protocol):
    """Idempotency records, one per key: claimed, then completed with a result or released.

    Shared semantics (pinned by ``serpens_contract.IdempotencyContract``):

    - ``claim`` of a free key (never claimed, released, its lease ended, or its result's
      TTL ended) returns a :class:`Claim`. The claim holds strictly before the claim's
      time plus ``lease`` seconds.
    - ``claim`` of a key whose claim still holds raises
      :class:`serpens.errors.InProgressError` (with ``retry_after``, the seconds left of
      that lease); of a completed key within its TTL returns a :class:`Replay` of the
      stored result, a fresh copy each time. Either way a ``fingerprint`` other than the
      first claim's raises :class:`serpens.errors.KeyReusedError`: the key was reused for
      another request. Of concurrent claims of one free key exactly one gets the claim.
    - ``complete(claim, result, ttl=...)`` stores *result* for ``ttl`` seconds from the
      completion while the claim holds (its lease has not ended, nothing released,
      completed or took over the key); otherwise it raises
      :class:`serpens.errors.LeaseLostError` and stores nothing. The result goes through
      JSON as on a cache (a tuple replays as a list); one that is not JSON raises
      :class:`serpens.errors.SerializationError` and one whose JSON text passes 256 KiB
      :class:`serpens.errors.ValidationError`, and the claim still holds.
    - ``release(claim)`` frees the key at once (after a failed call, so a retry runs)
      and returns ``True``; a claim that no longer holds changes nothing and returns
      ``False``.
    - A key is a str of 1 to 1,024 UTF-8 bytes, a fingerprint one of 0 to 256 (both
      without NUL or lone surrogates); ``lease`` and ``ttl`` are finite numbers of
      seconds > 0 and at most 366 days, rounded up to whole milliseconds. Anything else
      raises :class:`serpens.errors.ValidationError` naming each bad field, before any
      I/O. Keys of one store (one namespace) are apart from every other store's.
    - Backend outages raise :class:`serpens.errors.BackendUnavailableError` or
      :class:`serpens.errors.BackendTimeoutError` within the implementation's deadline.
      A call whose answer was lost may have taken effect: a lost claim holds its key
      until its lease ends, so a retry meets ``InProgressError`` until then.
    """

    async def claim(self, key: str, *, lease: float, fingerprint: str = "") -> Claim | Replay:
        """Claim *key* for *lease* seconds, or return the replay of its completed call."""
        ...

    async def complete(self, claim: Claim, result: JSONValue, *, ttl: float) -> None:
        """Store *result* as the call's outcome for *ttl* seconds, while *claim* holds."""
        ...

    async def release(self, claim: Claim) -> bool:
        """Free the key of *claim* if the claim still holds; return whether it did."""
        ...
