"""Sans-I/O value rules shared by every DocumentStore (fake and DynamoDB adapter)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from serpens.errors import ValidationError

__all__ = ["check_query", "from_stored", "stored_key", "to_stored", "validate_key_value"]

_SCALARS = (str, bool, type(None), bytes)


def _number(value: float | Decimal, path: str) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{path}: NaN and infinity cannot be stored")
        return Decimal(repr(value))
    if not value.is_finite():
        raise ValidationError(f"{path}: NaN and infinity cannot be stored")
    return value


def to_stored(value: object, path: str = "item") -> object:
    """Return *value* in stored form (floats as exact Decimals), or raise ValidationError."""
    if isinstance(value, _SCALARS) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, float | Decimal):
        return _number(value, path)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path}: map keys must be strings, got {type(key).__name__}")
            out[key] = to_stored(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [to_stored(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        return _stored_set(value, path)
    raise ValidationError(f"{path}: cannot store a value of type {type(value).__name__}")


def _stored_set(value: set[object] | frozenset[object], path: str) -> set[object]:
    if not value:
        raise ValidationError(f"{path}: empty sets cannot be stored")
    kinds = {
        "number" if isinstance(v, int | float | Decimal) and not isinstance(v, bool) else type(v)
        for v in value
    }
    if len(kinds) != 1 or not kinds <= {"number", str, bytes}:
        raise ValidationError(f"{path}: a set must hold only strings, only numbers or only bytes")
    return {to_stored(v, path) for v in value}


def from_stored(value: object) -> object:
    """Return a stored value as users see it: integral numbers as ``int``."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: from_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_stored(v) for v in value]
    if isinstance(value, set | frozenset):
        return {from_stored(v) for v in value}
    return value


def validate_key_value(name: str, value: object) -> None:
    """Raise ValidationError unless *value* is a valid key: non-empty str or bytes, or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | bytes):
        raise ValidationError(f"key attribute {name!r} must be a string, number or bytes")
    if value in ("", b""):
        raise ValidationError(f"key attribute {name!r} must not be empty")


def stored_key(
    values: Mapping[str, object], partition_key: str, sort_key: str | None, *, exact: bool
) -> dict[str, object]:
    """Return the stored form of the key in *values*, partition key first.

    Raises:
        ValidationError: a key attribute is missing or invalid, or (*exact*) *values*
            holds other attributes too.
    """
    names = [partition_key] + ([sort_key] if sort_key else [])
    for name in names:
        if name not in values:
            raise ValidationError(f"missing key attribute {name!r}")
        validate_key_value(name, values[name])
    if exact and set(values) != set(names):
        raise ValidationError(f"a key must have exactly the attributes {names}")
    return {name: to_stored(values[name]) for name in names}


def check_query(
    table: str,
    partition_key: str,
    sort_key: str | None,
    partition: object,
    *,
    sort_prefix: str | None,
    limit: int | None,
) -> None:
    """Raise ValidationError for a query the table cannot answer."""
    validate_key_value(partition_key, partition)
    if limit is not None and limit < 1:
        raise ValidationError("limit must be >= 1")
    if sort_prefix is not None and sort_key is None:
        raise ValidationError(f"table {table!r} has no sort key to match a prefix on")
