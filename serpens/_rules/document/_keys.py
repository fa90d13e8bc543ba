"""Key attributes: their types, their values, and a key's stored form.

A key value is a non-empty string or bytes within DynamoDB's key size (2048 bytes for a
partition key, 1024 for a sort key), or a number DynamoDB stores, of the attribute's
declared type (:data:`KeyType`) when it has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from serpens._rules.document._values import _NO_UTF8, _number, _plain, to_stored
from serpens._rules.text import has_utf8
from serpens.errors import ValidationError

MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024

KeyType = type[str] | type[int] | type[bytes]
"""The type of a key attribute: ``str`` (DynamoDB ``S``), ``int`` (``N``), ``bytes`` (``B``)."""

KeyTypeCode = Literal["S", "N", "B"]
KEY_TYPES: Mapping[type, KeyTypeCode] = {str: "S", int: "N", bytes: "B"}
"""Key attribute types and their DynamoDB attribute type codes."""


def key_type_code(key_type: object) -> KeyTypeCode:
    """Return DynamoDB's attribute type code (``S``, ``N``, ``B``) of *key_type*."""
    code = KEY_TYPES.get(key_type) if isinstance(key_type, type) else None
    if code is None:
        raise ValidationError("a key attribute's type must be str, int or bytes")
    return code


def _value_type(value: object) -> type:
    """The key type *value* is of: ``int`` for any number, ``str`` for a StrEnum member."""
    return int if isinstance(value, int | Decimal) else type(_plain(value))


def validate_key_value(
    name: str,
    value: object,
    key_type: KeyType | None = None,
    *,
    max_bytes: int = MAX_PARTITION_KEY_BYTES,
) -> None:
    """Raise ValidationError unless *value* is a valid key of *key_type* (any when ``None``).

    A key is a non-empty str or bytes, or a number DynamoDB can store (see
    :func:`to_stored`); a declared type must match (a number for ``int``), and a string
    or bytes key is at most *max_bytes* long (2048 for a partition key, 1024 for a sort
    key), as on DynamoDB.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | bytes):
        raise ValidationError(f"key attribute {name!r} must be a string, number or bytes")
    if value in ("", b""):
        raise ValidationError(f"key attribute {name!r} must not be empty")
    if key_type is not None and _value_type(value) is not key_type:
        raise ValidationError(
            f"key attribute {name!r} must be of type {key_type.__name__},"
            f" got {type(value).__name__}"
        )
    if isinstance(value, str) and not has_utf8(value):
        raise ValidationError(f"key attribute {name!r}: {_NO_UTF8}")
    if isinstance(value, str | bytes):
        size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
        if size > max_bytes:
            raise ValidationError(f"key attribute {name!r} must be at most {max_bytes} bytes")
    else:
        _check_key_number(name, value)


def _check_key_number(name: str, value: int | Decimal) -> None:
    """Raise ValidationError (path: the key's name) for a number DynamoDB cannot store."""
    try:
        _number(value, name)
    except ValidationError as exc:
        raise ValidationError("invalid key", exc.errors) from None


def stored_key(
    values: object,
    partition_key: str,
    sort_key: str | None,
    *,
    exact: bool,
    types: Mapping[str, KeyType] | None = None,
) -> dict[str, object]:
    """Return the stored form of the key in *values*, partition key first.

    *types* maps key attribute names to their declared types (checked when given).

    Raises:
        ValidationError: *values* is not a mapping (``None``, a list of pairs), a key
            attribute is missing, invalid or of the wrong type, or (*exact*) *values*
            holds other attributes too.
    """
    if not isinstance(values, Mapping):
        what = "a key" if exact else "an item"
        raise ValidationError(
            f"{what} must be a mapping of attribute names to values, got {type(values).__name__}"
        )
    names = [partition_key] + ([sort_key] if sort_key else [])
    for name in names:
        if name not in values:
            raise ValidationError(f"missing key attribute {name!r}")
        limit = MAX_PARTITION_KEY_BYTES if name == partition_key else MAX_SORT_KEY_BYTES
        validate_key_value(name, values[name], (types or {}).get(name), max_bytes=limit)
    if exact and set(values) != set(names):
        raise ValidationError(f"a key must have exactly the attributes {names}")
    return {name: to_stored(values[name]) for name in names}
