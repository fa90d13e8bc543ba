"""Values in the form DynamoDB stores them, and back in the form users read.

:func:`to_stored` refuses what DynamoDB cannot store (a number past its 38 digits or its
range, NaN, an empty set, a name of no UTF-8 form) with a
:class:`~serpens.errors.ValidationError` naming the value's path, and turns the rest into
what DynamoDB reads back (floats as exact ``Decimal``, an ``IntEnum`` member as its
``int``); :func:`from_stored` gives integral numbers back as ``int``. The fake stores
what the adapter would send.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from serpens._rules.text import has_utf8
from serpens.errors import FieldError, ValidationError

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


MAX_NESTING = 31
"""Most maps and lists an attribute's value nests (DynamoDB counts the attribute as level
1 and takes 32 levels); one more is refused. A cycle (a list holding itself) is refused
by the same rule."""
_TOO_DEEP = f"an attribute's value nests at most {MAX_NESTING} maps or lists (32 levels)"


MAX_NAME_BYTES = 65_535
"""Longest attribute name DynamoDB takes (UTF-8 bytes), a map element's name included;
the shortest is one character."""


def to_stored(value: object, path: str = "item", depth: int = 0) -> object:
    """Return *value* in stored form (floats as exact Decimals), or raise ValidationError.

    Attribute names, a nested map's keys included, are 1 to 65,535 bytes (UTF-8).
    Numbers must be ones DynamoDB stores: finite, at most 38 significant digits and 0 or
    of magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125; one with more
    than 38 digits that are partly trailing zeros is stored without them (``1E+40``).
    The error's ``errors`` holds one FieldError whose path locates the invalid value
    below *path* (``item.doc.tags[2]``). A value of a subclass of ``str``, ``int``,
    ``float`` or ``bytes`` (an ``IntEnum`` or ``StrEnum`` member) is stored as the plain
    value, as DynamoDB reads it back. An attribute's value nests at most 31 maps or
    lists (its innermost value is then 32 levels down, DynamoDB's limit); *depth* is the
    number of maps and lists around *value*, the item itself not counted.
    """
    if isinstance(value, _SCALARS):
        if isinstance(value, str) and not has_utf8(value):
            raise _invalid(path, _NO_UTF8)
        return _plain(value)
    if isinstance(value, int | float | Decimal):  # bool is a _SCALARS
        return _number(value, path)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, Mapping | list | tuple) and depth > MAX_NESTING:
        raise _invalid(path, _TOO_DEEP)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            _check_name(key, path)
            name = str.__str__(key)  # a StrEnum member's value, as DynamoDB keeps it
            out[name] = to_stored(item, f"{path}.{name}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [to_stored(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
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
