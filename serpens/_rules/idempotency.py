"""Rules every IdempotencyStore shares: its limits, and what a claim of a record decides.

The fake applies :func:`decide` and :func:`holds` to its dict, the DynamoDB adapter to
the item it read (then writes on the condition that nothing changed); the Redis and SQL
adapters run the same decisions as one script or statement on the server, against the
server's clock. Times are whole microseconds, on the store's clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from serpens._rules.cache import encode, to_wire
from serpens._rules.seconds import whole_millis
from serpens._rules.text import has_utf8
from serpens.errors import (
    FieldError,
    InProgressError,
    KeyReusedError,
    LeaseLostError,
    SerializationError,
    ValidationError,
)
from serpens.ports._cache import JSONValue
from serpens.ports._idempotency import Claim

__all__ = [
    "MAX_FINGERPRINT_BYTES",
    "MAX_KEY_BYTES",
    "MAX_RESULT_BYTES",
    "MAX_SECONDS",
    "Record",
    "check_claim",
    "check_claim_args",
    "check_result",
    "check_seconds",
    "decide",
    "holds",
    "in_progress",
    "key_reused",
    "lease_lost",
    "read_result",
    "token_after",
]

MAX_KEY_BYTES = 1024
"""Longest key, in UTF-8 bytes (DynamoDB's partition key takes 2,048 with its prefix)."""
MAX_FINGERPRINT_BYTES = 256
"""Longest fingerprint, in UTF-8 bytes (a SHA-512 in hex is 128)."""
MAX_SECONDS = 366 * 86_400
"""Longest lease or TTL: 366 days."""
MAX_RESULT_BYTES = 256 * 1024
"""Largest result, as UTF-8 JSON text (a DynamoDB item holds 400 KB in all)."""

_MICROS = 1_000_000


@dataclass(slots=True)
class Record:
    """One key's record: who holds it (``token``) and until when, or its stored result.

    ``until`` is the end of the lease (``done`` false) or of the result's TTL (``done``
    true), in microseconds on the store's clock; ``result`` is the result's JSON text
    (empty until completed).
    """

    fingerprint: str
    token: int
    done: bool
    until: int
    result: str = ""


def _text(value: object, field: str, *, most: int, least: int) -> FieldError | None:
    if not isinstance(value, str):
        return FieldError(field, f"must be a str, got {type(value).__name__}")
    if not has_utf8(value) or "\x00" in value:
        return FieldError(field, "must have a UTF-8 form without NUL or lone surrogates")
    size = len(value.encode())
    if not least <= size <= most:
        return FieldError(field, f"must be {least} to {most:,} UTF-8 bytes, got {size:,}")
    return None


def _millis(value: object, field: str) -> int | FieldError:
    return whole_millis(value, field, most=MAX_SECONDS, zero=False)


def _raise(what: str, errors: list[FieldError]) -> None:
    if errors:
        raise ValidationError(f"invalid idempotency {what}", errors)


def check_claim_args(key: object, fingerprint: object, lease: object) -> int:
    """Check a claim's arguments; return the lease in whole milliseconds (rounded up).

    Raises:
        ValidationError: naming every bad field (``key``, ``fingerprint``, ``lease``).
    """
    errors = [
        error
        for error in (
            _text(key, "key", most=MAX_KEY_BYTES, least=1),
            _text(fingerprint, "fingerprint", most=MAX_FINGERPRINT_BYTES, least=0),
        )
        if error is not None
    ]
    lease_ms = _millis(lease, "lease")
    if isinstance(lease_ms, FieldError):
        errors.append(lease_ms)
    _raise("claim", errors)
    return lease_ms  # type: ignore[return-value]


def check_claim(claim: object) -> Claim:
    """Return *claim* if it is a :class:`Claim` of a valid key with an int token.

    Raises:
        ValidationError: anything else (field ``claim``).
    """
    if (
        not isinstance(claim, Claim)
        or _text(claim.key, "key", most=MAX_KEY_BYTES, least=1) is not None
        or type(claim.token) is not int
    ):
        _raise("claim", [FieldError("claim", f"must be a Claim a store returned, got {claim!r}")])
    return claim  # type: ignore[return-value]


def check_seconds(value: object, field: str) -> int:
    """Return *value* seconds (a lease or a TTL) in whole milliseconds, rounded up.

    Raises:
        ValidationError: *value* is not a finite number > 0 and at most
            :data:`MAX_SECONDS`, naming *field*.
    """
    millis = _millis(value, field)
    if isinstance(millis, FieldError):
        _raise(field, [millis])
    return millis  # type: ignore[return-value]


def check_result(result: object, key: str) -> str:
    """Return the JSON text to store for *result* (a lone surrogate kept as its escape).

    Raises:
        SerializationError: *result* is not a JSON value.
        ValidationError: its UTF-8 JSON text is over :data:`MAX_RESULT_BYTES`.
    """
    wire = to_wire(encode(result, subject=f"store the result of idempotency key {key!r}"))
    if len(wire) > MAX_RESULT_BYTES:
        _raise(
            "result",
            [
                FieldError(
                    "result",
                    f"its JSON text must be at most {MAX_RESULT_BYTES:,} bytes, got {len(wire):,}",
                )
            ],
        )
    return wire.decode()


def read_result(text: str | bytes) -> JSONValue:
    """The result stored as JSON *text*, a fresh copy."""
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError("the stored idempotency result is not valid JSON") from exc


def decide(record: Record | None, key: str, fingerprint: str, now: int) -> Record | None:
    """What a claim at *now* (µs) finds: ``None`` when the key is free, else its live record.

    A live record with another fingerprint raises :class:`KeyReusedError`; one still
    in progress raises :class:`InProgressError`. The caller replays a returned (completed)
    record's result, or takes a free key with :func:`token_after`.
    """
    if record is None or now >= record.until:
        return None
    if record.fingerprint != fingerprint:
        raise key_reused(key)
    if not record.done:
        raise in_progress(key, record.until - now)
    return record


def key_reused(key: str) -> KeyReusedError:
    """The error of a claim of *key* with another fingerprint than its record's."""
    return KeyReusedError(f"idempotency key {key!r} was first claimed with another fingerprint")


def in_progress(key: str, left: int) -> InProgressError:
    """The error of a claim of *key* whose claim still holds for *left* microseconds."""
    return InProgressError(
        f"idempotency key {key!r} is claimed by a call in progress", retry_after=left / _MICROS
    )


def lease_lost(key: str) -> LeaseLostError:
    """The error of a completion by a claim of *key* that no longer holds."""
    return LeaseLostError(f"the claim of idempotency key {key!r} no longer holds: nothing stored")


def token_after(record: Record | None, now: int) -> int:
    """A fencing token above *record*'s (if any) and at least *now* (µs)."""
    return now if record is None else max(now, record.token + 1)


def holds(record: Record, claim: Claim, now: int) -> bool:
    """Whether *claim* still holds *record* at *now* (µs): in progress, its token, in lease."""
    return not record.done and record.token == claim.token and now < record.until
