"""The exact wording of the in-memory idempotency store's errors, and of ``idempotent``'s.

Keys, fingerprints, leases, TTLs, results, claims, a key in progress or reused, a lost
lease and an outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import (
    BackendUnavailableError,
    InProgressError,
    KeyReusedError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryIdempotencyStore
from serpens.idempotency import fingerprint_of, idempotent
from serpens.ports import Claim
from serpens_contract.idempotency import ManualClock
from tests.serpens.fakes.error_messages._error_cases import _down, _observed, _untyped

_LEASE = "must be > 0 and at most 31,622,400 seconds, got"


def _store() -> InMemoryIdempotencyStore:
    return InMemoryIdempotencyStore(clock=ManualClock())


async def _claimed_twice(fingerprint: str) -> object:
    """Claim ``k`` for 2 s with fingerprint ``a``, then again with *fingerprint*."""
    store = _store()
    await store.claim("k", lease=2, fingerprint="a")
    return await store.claim("k", lease=2, fingerprint=fingerprint)


def _lost() -> Claim:
    return Claim("k", 1, 2.0)


IDEMPOTENCY_CASES = [
    pytest.param(
        lambda: _store().claim("", lease=1),
        ValidationError,
        "invalid idempotency claim: key: must be 1 to 1,024 UTF-8 bytes, got 0",
        [("key", "must be 1 to 1,024 UTF-8 bytes, got 0")],
        id="claim-key-empty",
    ),
    pytest.param(
        lambda: _store().claim(_untyped(7), lease=1),
        ValidationError,
        "invalid idempotency claim: key: must be a str, got int",
        [("key", "must be a str, got int")],
        id="claim-key-an-int",
    ),
    pytest.param(
        lambda: _store().claim("a\x00b", lease=1),
        ValidationError,
        "invalid idempotency claim: key: must have a UTF-8 form without NUL or lone surrogates",
        [("key", "must have a UTF-8 form without NUL or lone surrogates")],
        id="claim-key-nul",
    ),
    pytest.param(
        lambda: _store().claim("é" * 513, lease=1),
        ValidationError,
        "invalid idempotency claim: key: must be 1 to 1,024 UTF-8 bytes, got 1,026",
        [("key", "must be 1 to 1,024 UTF-8 bytes, got 1,026")],
        id="claim-key-too-long",
    ),
    pytest.param(
        lambda: _store().claim("", lease=float("nan"), fingerprint=_untyped(None)),
        ValidationError,
        (
            "invalid idempotency claim: key: must be 1 to 1,024 UTF-8 bytes, got 0; "
            "fingerprint: must be a str, got NoneType; "
            f"lease: {_LEASE} nan"
        ),
        [
            ("key", "must be 1 to 1,024 UTF-8 bytes, got 0"),
            ("fingerprint", "must be a str, got NoneType"),
            ("lease", f"{_LEASE} nan"),
        ],
        id="claim-every-argument-wrong",
    ),
    pytest.param(
        lambda: _store().claim("k", lease=1, fingerprint="f" * 257),
        ValidationError,
        "invalid idempotency claim: fingerprint: must be 0 to 256 UTF-8 bytes, got 257",
        [("fingerprint", "must be 0 to 256 UTF-8 bytes, got 257")],
        id="claim-fingerprint-too-long",
    ),
    pytest.param(
        lambda: _claimed_twice("a"),
        InProgressError,
        "idempotency key 'k' is claimed by a call in progress",
        [],
        id="claim-in-progress",
    ),
    pytest.param(
        lambda: _claimed_twice("b"),
        KeyReusedError,
        "idempotency key 'k' was first claimed with another fingerprint",
        [],
        id="claim-key-reused",
    ),
    pytest.param(
        lambda: _down(_store()).claim("k", lease=1),
        BackendUnavailableError,
        "InMemoryIdempotencyStore: simulated outage, the backend is unreachable",
        [],
        id="claim-outage",
    ),
    pytest.param(
        lambda: _store().complete(_lost(), 1, ttl=0),
        ValidationError,
        f"invalid idempotency ttl: ttl: {_LEASE} 0",
        [("ttl", f"{_LEASE} 0")],
        id="complete-ttl-zero",
    ),
    pytest.param(
        lambda: _store().complete(_lost(), _untyped({"a": {1, 2}}), ttl=1),
        SerializationError,
        (
            "cannot store the result of idempotency key 'k'['a']: type set is not a JSON value "
            "(use None, bool, int, float, str, list, tuple, dict with str keys, or Decimal, "
            "date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="complete-result-not-json",
    ),
    pytest.param(
        lambda: _store().complete(_lost(), "x" * (256 * 1024), ttl=1),
        ValidationError,
        (
            "invalid idempotency result: result: its JSON text must be at most 262,144 bytes, "
            "got 262,146"
        ),
        [("result", "its JSON text must be at most 262,144 bytes, got 262,146")],
        id="complete-result-too-large",
    ),
    pytest.param(
        lambda: _store().complete(_untyped("nope"), 1, ttl=1),
        ValidationError,
        "invalid idempotency claim: claim: must be a Claim a store returned, got 'nope'",
        [("claim", "must be a Claim a store returned, got 'nope'")],
        id="complete-not-a-claim",
    ),
    pytest.param(
        lambda: _store().release(_untyped(None)),
        ValidationError,
        "invalid idempotency claim: claim: must be a Claim a store returned, got None",
        [("claim", "must be a Claim a store returned, got None")],
        id="release-not-a-claim",
    ),
    pytest.param(
        lambda: _store().complete(_lost(), 1, ttl=1),
        LeaseLostError,
        "the claim of idempotency key 'k' no longer holds: nothing stored",
        [],
        id="complete-lease-lost",
    ),
    pytest.param(
        lambda: idempotent(_store(), key=lambda: "k", lease=-1),
        ValidationError,
        f"invalid idempotency lease: lease: {_LEASE} -1",
        [("lease", f"{_LEASE} -1")],
        id="idempotent-lease-negative",
    ),
    pytest.param(
        lambda: idempotent(_store(), key=lambda: "k", ttl=10**9),
        ValidationError,
        f"invalid idempotency ttl: ttl: {_LEASE} 1000000000",
        [("ttl", f"{_LEASE} 1000000000")],
        id="idempotent-ttl-too-long",
    ),
    pytest.param(
        lambda: fingerprint_of({1, 2}),
        SerializationError,
        "cannot fingerprint the payload: Object of type set is not JSON serializable",
        [],
        id="fingerprint-not-json",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), IDEMPOTENCY_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)

    async def test_a_key_in_progress_says_how_long_its_lease_lasts(self) -> None:
        with pytest.raises(InProgressError) as raised:
            await _claimed_twice("a")
        assert raised.value.retry_after == 2.0
