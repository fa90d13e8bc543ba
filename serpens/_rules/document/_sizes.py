"""Item sizes as DynamoDB counts them, and its item and query page limits.

Counted on the stored form (:func:`~._values.to_stored`), so the fake refuses an item
over 400 KB exactly where DynamoDB does.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from serpens._rules.document._values import _significant_digits
from serpens.errors import ValidationError

MAX_ITEM_BYTES = 409_600
"""DynamoDB's item size limit (400 KB), attribute names and values together."""
QUERY_PAGE_BYTES = 1_048_576
"""DynamoDB returns at most 1 MB per ``Query`` call; a query follows the further pages."""


def _number_size(number: Decimal) -> int:
    """DynamoDB: 1 byte per two significant digits, plus 1 byte."""
    return (_significant_digits(number) + 1) // 2 + 1


def _scalar_size(value: object) -> int | None:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | Decimal):
        return _number_size(Decimal(value))
    return None


def _value_size(value: object) -> int:
    scalar = _scalar_size(value)
    if scalar is not None:
        return scalar
    if isinstance(value, dict):  # 3 bytes, and 1 per element with its name and value
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in value.items())
    if isinstance(value, list):
        return 3 + sum(1 + _value_size(v) for v in value)
    if isinstance(value, set | frozenset):
        return sum(_value_size(v) for v in value)
    raise ValidationError(f"cannot size a value of type {type(value).__name__}")


def item_size(stored: Mapping[str, object]) -> int:
    """Return the size of a stored item as DynamoDB counts it.

    The UTF-8 bytes of every attribute name plus the size of its value: strings their
    UTF-8 bytes, binary its length, numbers 1 byte per two significant digits plus 1,
    booleans and nulls 1, lists and maps 3 bytes plus 1 per element (and a map
    element's name), sets the sum of their elements.
    """
    return sum(len(name.encode("utf-8")) + _value_size(v) for name, v in stored.items())


def check_item_size(stored: Mapping[str, object]) -> None:
    """Raise ValidationError when *stored* is larger than DynamoDB's 400 KB item limit."""
    size = item_size(stored)
    if size > MAX_ITEM_BYTES:
        raise ValidationError(
            f"an item must be at most {MAX_ITEM_BYTES} bytes (names and values), got {size}"
        )
