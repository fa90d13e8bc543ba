"""Durations in seconds, checked and turned into whole milliseconds (leases, TTLs, delays)."""

from __future__ import annotations

import math

from serpens.errors import FieldError

__all__ = ["LONGEST_DELAY", "whole_millis"]

LONGEST_DELAY = 366 * 86_400
"""Longest lease or retry delay an outbox store takes, in seconds: 366 days."""

_NOISE_DIGITS = 6
"""Decimals of a millisecond kept before rounding up: ``2.007 * 1000`` is
``2007.0000000000002``, which is 2,007 ms, not 2,008."""


def whole_millis(value: object, field: str, *, most: int, zero: bool) -> int | FieldError:
    """*value* seconds in whole milliseconds, rounded up; or the error naming *field*.

    A duration is an ``int`` or ``float`` (not a ``bool``) above 0 (from 0 when *zero*)
    and at most *most* seconds; NaN, infinities and ints too large for a float are
    refused as out of range, never raised as ``OverflowError``.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (0 <= value <= most if zero else 0 < value <= most)
    ):
        least = ">= 0" if zero else "> 0"
        return FieldError(field, f"must be {least} and at most {most:,} seconds, got {value!r}")
    return math.ceil(round(value * 1000, _NOISE_DIGITS))
