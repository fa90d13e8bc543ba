"""Sans-I/O value rules shared by every DocumentStore (fake and DynamoDB adapter).

The limits are DynamoDB's, counted as DynamoDB counts them (item size, key sizes and
types, number digits and range), so an item the fake accepts is one DynamoDB accepts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from serpens._rules.text import has_utf8
from serpens.errors import FieldError, ValidationError

__all__ = [
    "KEY_TYPES",
    "MAX_ITEM_BYTES",
    "MAX_KEY_NAME_LENGTH",
    "MAX_NAME_BYTES",
    "MAX_PARTITION_KEY_BYTES",
    "MAX_SORT_KEY_BYTES",
    "MAX_TABLE_NAME_LENGTH",
    "QUERY_PAGE_BYTES",
    "KeyType",
    "KeyTypeCode",
    "check_item_size",
    "check_query",
    "check_table",
    "check_table_name",
    "from_stored",
    "item_size",
    "key_type_code",
    "stored_key",
    "to_stored",
    "validate_key_value",
]

MAX_ITEM_BYTES = 409_600
"""DynamoDB's item size limit (400 KB), attribute names and values together."""
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
QUERY_PAGE_BYTES = 1_048_576
"""DynamoDB returns at most 1 MB per ``Query`` call; a query follows the further pages."""

KeyType = type[str] | type[int] | type[bytes]
"""The type of a key attribute: ``str`` (DynamoDB ``S``), ``int`` (``N``), ``bytes`` (``B``)."""

KeyTypeCode = Literal["S", "N", "B"]
KEY_TYPES: Mapping[type, KeyTypeCode] = {str: "S", int: "N", bytes: "B"}
"""Key attribute types and their DynamoDB attribute type codes."""

_SCALARS = (str, bool, type(None), bytes)
_PLAIN_TYPES = frozenset({str, int, float, Decimal, bytes, bool, type(None)})
_CONVERSIONS: tuple[tuple[type, Callable[[Any], object]], ...] = (
    (str, str.__str__),
    (int, int.__int__),
    (float, float.__float__),
    (Decimal, Decimal),
    (bytes, bytes.__bytes__),
)
"""Each built-in's own conversion of its subclasses' values (bool cannot be subclassed)."""


def _invalid(path: str, reason: str) -> ValidationError:
    """A ValidationError naming the invalid value's path (``item.doc.tags[2]``)."""
    return ValidationError("invalid item", [FieldError(path, reason)])


_MAX_DIGITS = 38
_INT_LIMIT = 10**_MAX_DIGITS
"""An int of smaller magnitude has at most 38 digits and is 0 or at least 1: storable."""
_MIN_ADJUSTED = -130
"""Exponent of the leading digit of DynamoDB's smallest magnitude, 1E-130."""
_MAX_ADJUSTED = 125
"""Exponent of the leading digit of DynamoDB's largest magnitude, 9.99...9E+125 (38 nines)."""
_LARGEST = "9.9999999999999999999999999999999999999E+125"
_ZERO = Decimal(0)


def _number_problem(number: Decimal) -> str | None:
    """Why DynamoDB refuses the finite, non-zero *number*, or ``None`` when it stores it.

    DynamoDB stores up to 38 significant digits (trailing zeros do not count) with a
    magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125.
    """
    if len(number.as_tuple().digits) > _MAX_DIGITS and _significant_digits(number) > _MAX_DIGITS:
        return f"a number has at most {_MAX_DIGITS} significant digits"
    if not _MIN_ADJUSTED <= number.adjusted() <= _MAX_ADJUSTED:
        return f"a number must be 0 or of magnitude 1E-130 to {_LARGEST}"
    return None


def _significant_digits(number: Decimal) -> int:
    """Digits of *number* without its trailing zeros (1 for zero), as DynamoDB counts them."""
    digits = number.as_tuple().digits
    kept = len(digits)
    while kept > 1 and digits[kept - 1] == 0:
        kept -= 1
    return kept


def _trimmed(number: Decimal) -> Decimal:
    """*number* without trailing zeros when it has more than 38 digits, else unchanged.

    ``10**40`` has 41 digits but one significant digit: DynamoDB stores it, and what
    goes to DynamoDB (``1E+40``) never has more digits than it keeps.
    """
    sign, digits, _ = number.as_tuple()
    if len(digits) <= _MAX_DIGITS:
        return number
    kept = _significant_digits(number)
    return Decimal((sign, digits[:kept], number.adjusted() - kept + 1))


def _number(value: float | Decimal, path: str) -> int | Decimal:
    """Return the number *value* in stored form, or raise when DynamoDB cannot store it."""
    value = _plain(value)  # type: ignore[assignment] # an int, float or Decimal still
    if isinstance(value, int):
        if -_INT_LIMIT < value < _INT_LIMIT:  # the common case, without Decimal arithmetic
            return value
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(path, "NaN and infinity cannot be stored")
        number = Decimal(repr(value))
    else:
        number = value
    if not number.is_finite():
        raise _invalid(path, "NaN and infinity cannot be stored")
    if not number:
        return _ZERO  # any exponent: 0E+200 and -0.00 are 0
    problem = _number_problem(number)
    if problem is not None:
        raise _invalid(path, problem)
    return _trimmed(number)


def _plain(value: object) -> object:
    """*value* as its plain built-in type: an ``IntEnum`` member as its ``int``, and so on.

    DynamoDB stores the value, never the subclass, and reads back ``int``/``Decimal``,
    ``str`` and ``bytes``; the fake keeps what the adapter sends. The built-ins' own
    conversions are used, since a subclass may override ``__str__`` (``str`` of a
    ``class Kind(str, Enum)`` member is ``"Kind.A"``, not its value).
    """
    if type(value) not in _PLAIN_TYPES:
        for kind, convert in _CONVERSIONS:
            if isinstance(value, kind):
                return convert(value)
    return value


_NO_UTF8 = "a string must have a UTF-8 form (a lone surrogate, U+D800 to U+DFFF, has none)"


MAX_NAME_BYTES = 65_535
"""Longest attribute name DynamoDB takes (UTF-8 bytes), a map element's name included;
the shortest is one character."""


def to_stored(value: object, path: str = "item") -> object:
    """Return *value* in stored form (floats as exact Decimals), or raise ValidationError.

    Attribute names, a nested map's keys included, are 1 to 65,535 bytes (UTF-8).
    Numbers must be ones DynamoDB stores: finite, at most 38 significant digits and 0 or
    of magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125; one with more
    than 38 digits that are partly trailing zeros is stored without them (``1E+40``).
    The error's ``errors`` holds one FieldError whose path locates the invalid value
    below *path* (``item.doc.tags[2]``). A value of a subclass of ``str``, ``int``,
    ``float`` or ``bytes`` (an ``IntEnum`` or ``StrEnum`` member) is stored as the plain
    value, as DynamoDB reads it back.
    """
    if isinstance(value, _SCALARS):
        if isinstance(value, str) and not has_utf8(value):
            raise _invalid(path, _NO_UTF8)
        return _plain(value)
    if isinstance(value, int | float | Decimal):  # bool is a _SCALARS
        return _number(value, path)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            _check_name(key, path)
            name = str.__str__(key)  # a StrEnum member's value, as DynamoDB keeps it
            out[name] = to_stored(item, f"{path}.{name}")
        return out
    if isinstance(value, list | tuple):
        return [to_stored(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        return _stored_set(value, path)
    raise _invalid(path, f"cannot store a value of type {type(value).__name__}")


def _check_name(key: object, path: str) -> None:
    """An attribute name, or a map element's: a str of 1 to 65,535 UTF-8 bytes."""
    if not isinstance(key, str):
        raise _invalid(path, f"map keys must be strings, got {type(key).__name__}")
    if not has_utf8(key):  # first: a long name's size is counted by encoding it
        raise _invalid(path, f"attribute name {key!r}: {_NO_UTF8}")
    if not key or (len(key) * 4 > MAX_NAME_BYTES and len(key.encode()) > MAX_NAME_BYTES):
        raise _invalid(path, f"attribute names are 1 to {MAX_NAME_BYTES:,} bytes")


def _stored_set(value: set[object] | frozenset[object], path: str) -> set[object]:
    if not value:
        raise _invalid(path, "empty sets cannot be stored")
    kinds = {
        "number"
        if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
        else type(_plain(v))  # a StrEnum member is a string
        for v in value
    }
    if len(kinds) != 1 or not kinds <= {"number", str, bytes}:
        raise _invalid(path, "a set must hold only strings, only numbers or only bytes")
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


def stored_key(
    values: Mapping[str, object],
    partition_key: str,
    sort_key: str | None,
    *,
    exact: bool,
    types: Mapping[str, KeyType] | None = None,
) -> dict[str, object]:
    """Return the stored form of the key in *values*, partition key first.

    *types* maps key attribute names to their declared types (checked when given).

    Raises:
        ValidationError: a key attribute is missing, invalid or of the wrong type, or
            (*exact*) *values* holds other attributes too.
    """
    names = [partition_key] + ([sort_key] if sort_key else [])
    for name in names:
        if name not in values:
            raise ValidationError(f"missing key attribute {name!r}")
        limit = MAX_PARTITION_KEY_BYTES if name == partition_key else MAX_SORT_KEY_BYTES
        validate_key_value(name, values[name], (types or {}).get(name), max_bytes=limit)
    if exact and set(values) != set(names):
        raise ValidationError(f"a key must have exactly the attributes {names}")
    return {name: to_stored(values[name]) for name in names}


MAX_TABLE_NAME_LENGTH = 255
"""Longest table name ``CreateTable`` takes; names are ASCII letters, digits, ``_-.``."""
MAX_KEY_NAME_LENGTH = 255
"""Longest key attribute name ``CreateTable`` takes (its ``KeySchema``), in characters."""
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,255}")
"""DynamoDB's table name characters. DynamoDB also needs at least 3 of them; serpens
takes shorter names still (existing code and tests create tables named ``"t"``)."""


def check_table_name(table: object) -> None:
    """Raise ValidationError unless *table* names a table: a non-empty string.

    DynamoDB refuses an empty name (botocore before sending); a table never created is
    a :class:`~serpens.errors.NotFoundError`.
    """
    if not isinstance(table, str) or not table:
        raise ValidationError(f"a table name must be a non-empty string, got {table!r}")


def check_table(table: object, partition_key: object, sort_key: object) -> None:
    """Raise ValidationError for a ``create_table`` DynamoDB refuses, before any I/O.

    The table name is 1 to 255 ASCII letters, digits, ``_``, ``-`` or ``.``; each key
    attribute name a string of 1 to 255 characters with a UTF-8 form; a sort key, when
    given (not ``None``), is named unlike the partition key.
    """
    check_table_name(table)
    assert isinstance(table, str)  # noqa: S101 - check_table_name made sure
    if _TABLE_NAME.fullmatch(table) is None:
        raise ValidationError(
            f"table name {table!r} must be 1 to {MAX_TABLE_NAME_LENGTH} ASCII letters,"
            " digits, '_', '-' or '.'"
        )
    _check_key_name("partition_key", partition_key)
    if sort_key is not None:
        _check_key_name("sort_key", sort_key)
        if sort_key == partition_key:
            raise ValidationError(
                f"sort_key must differ from partition_key; both are {partition_key!r}"
            )


def _check_key_name(argument: str, name: object) -> None:
    if not isinstance(name, str):
        raise ValidationError(f"{argument} must be a string, got {type(name).__name__}")
    if not 1 <= len(name) <= MAX_KEY_NAME_LENGTH:
        raise ValidationError(
            f"{argument} must be 1 to {MAX_KEY_NAME_LENGTH} characters, got {len(name)}"
        )
    if not has_utf8(name):
        raise ValidationError(f"{argument} {name!r}: {_NO_UTF8}")


def check_query(
    table: str,
    partition_key: str,
    sort_key: str | None,
    partition: object,
    *,
    sort_prefix: object,
    limit: object,
    types: Mapping[str, KeyType] | None = None,
) -> None:
    """Raise ValidationError for a query the table cannot answer.

    *types* maps key attribute names to their declared types (checked when given): a
    ``sort_prefix`` needs a string sort key, and is itself a non-empty string with a
    UTF-8 form (DynamoDB refuses an empty key condition value); ``limit`` is an ``int``
    (not a ``bool``) of at least 1.
    """
    validate_key_value(partition_key, partition, (types or {}).get(partition_key))
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValidationError(f"limit must be an int, got {type(limit).__name__}")
        if limit < 1:
            raise ValidationError("limit must be >= 1")
    if sort_prefix is None:
        return
    if sort_key is None:
        raise ValidationError(f"table {table!r} has no sort key to match a prefix on")
    if (types or {}).get(sort_key, str) is not str:
        raise ValidationError(f"sort_prefix needs a string sort key; {sort_key!r} is not one")
    if not isinstance(sort_prefix, str):
        raise ValidationError(f"sort_prefix must be a string, got {type(sort_prefix).__name__}")
    if not sort_prefix:
        raise ValidationError("sort_prefix must not be empty (None matches every sort key)")
    if not has_utf8(sort_prefix):
        raise ValidationError(f"sort_prefix: {_NO_UTF8}")
