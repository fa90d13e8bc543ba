"""Scalar converters for :meth:`Schema.load` and the failure signal they raise.

A converter takes one input value and returns the typed value or raises :class:`Invalid`
carrying every failure below it. Paths are only built on failure, so the happy path is a
chain of type checks and calls.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from serpens.errors import FieldError
from serpens.schema._numbers import literal_of

__all__ = ["SCALARS", "Converter", "Invalid", "PathPart", "describe", "identity", "wrong"]

Converter = Callable[[Any], Any]
PathPart = str | int


class Invalid(Exception):  # noqa: N818 - internal signal, never escapes serpens.schema
    """One or more failures, each a reversed path and a message."""

    def __init__(self, failures: list[tuple[list[PathPart], str]]) -> None:
        super().__init__()
        self.failures = failures

    @classmethod
    def one(cls, message: str) -> Invalid:
        return cls([([], message)])

    def under(self, part: PathPart) -> Invalid:
        for parts, _ in self.failures:
            parts.append(part)
        return self

    def field_errors(self) -> list[FieldError]:
        return [FieldError(_render(parts), message) for parts, message in self.failures]


def _render(reversed_parts: list[PathPart]) -> str:
    out = ""
    for part in reversed(reversed_parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("["):  # a mapping key, already rendered
            out += part
        else:
            out += f".{part}" if out else part
    return out


_JSON_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
    dict: "object",
    list: "array",
}


def describe(value: Any) -> str:
    """Name *value*'s kind the way a JSON author thinks of it."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def wrong(expected: str, value: Any) -> Invalid:
    return Invalid.one(f"must be of type {expected}, got {describe(value)}")


def identity(value: Any) -> Any:
    return value


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise wrong("str", value)


def _int(value: Any) -> int:
    if type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)  # DynamoDB hands numbers back as Decimal
    raise wrong("int", value)


def _float(value: Any) -> float:
    if type(value) is float or (
        isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    ):
        try:
            result = float(value)
        except OverflowError:
            raise Invalid.one("is too large for a float") from None
        if math.isfinite(result):
            return result
        raise Invalid.one("must be a finite number")
    raise wrong("float", value)


def _bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise wrong("bool", value)


def _decimal(value: Any) -> Decimal:
    kind = type(value)
    if kind is str or (kind is not bool and isinstance(value, str)):
        try:
            result = Decimal(value)  # surrounding whitespace is allowed by Decimal itself
        except InvalidOperation:
            raise Invalid.one(f"is not a valid decimal: {value[:40]!r}") from None
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise wrong("Decimal", value)
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # In Schema.loads, the number's JSON text (every digit); else the float's shortest
        # spelling, never its binary expansion.
        literal = literal_of(value)
        result = Decimal(repr(value) if literal is None else literal)
    else:
        raise wrong("Decimal", value)
    if not result.is_finite():
        raise Invalid.one("must be a finite decimal")
    return result


def _epoch(value: float) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Invalid.one("is not a valid epoch timestamp") from None


def _datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise Invalid.one(f"is not an ISO 8601 datetime: {value[:40]!r}") from None
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _epoch(value)
    raise wrong("datetime", value)


_DATE_LENGTH = 10


def _date(value: Any) -> date:
    if isinstance(value, str):
        try:
            if len(value) == _DATE_LENGTH:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value).date()
        except ValueError:
            raise Invalid.one(f"is not an ISO 8601 date: {value[:40]!r}") from None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise wrong("date", value)


def _time(value: Any) -> time:
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise Invalid.one(f"is not an ISO 8601 time: {value[:40]!r}") from None
    if isinstance(value, time):
        return value
    raise wrong("time", value)


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise Invalid.one(f"is not a valid UUID: {value[:40]!r}") from None
    raise wrong("UUID", value)


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid.one("is not valid base64") from None
    raise wrong("bytes (base64 string)", value)


SCALARS: dict[Any, Converter] = {
    str: _str,
    int: _int,
    float: _float,
    bool: _bool,
    Decimal: _decimal,
    datetime: _datetime,
    date: _date,
    time: _time,
    uuid.UUID: _uuid,
    bytes: _bytes,
    Any: identity,
    object: identity,
}
