"""JSON encoding shared by :mod:`serpens.schema` and :mod:`serpens.api`.

One encoder, one set of rules, so a Schema's ``dumps()`` and a Lambda response body
agree byte for byte:

- ``datetime``/``date``/``time``: ISO 8601 (``isoformat()``; aware datetimes keep their
  offset).
- ``Decimal``: an exact JSON number when one exists (integral values, and values whose
  shortest float spelling is the same number, such as ``19.99``); otherwise a string, so
  ``Decimal("12345678901234567890.5")`` is never rounded through a float. NaN and
  infinities are rejected.
- ``UUID``, ``PurePath``: ``str``; ``Enum``: its value; ``bytes``: base64; ``timedelta``:
  total seconds; ``set``/``frozenset``: a list (sorted when the items sort); dataclass
  instances: an object of their fields; pydantic models: ``model_dump(mode="json")``
  (pydantic is never imported for this; see :mod:`serpens._pydantic`).
- Non-finite floats are rejected (JSON has no NaN).

Anything else raises :class:`~serpens.errors.SerializationError`.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from serpens._pydantic import dump_model, is_model
from serpens.errors import SerializationError

__all__ = ["SchemaEncoder", "decimal_to_json", "dumps", "dumps_compact", "to_jsonable"]

_MAX_INT_EXPONENT = 64
"""Integral decimals up to 10**64 become JSON integers; larger ones stay strings."""
_SHORT_TEXT = 16
"""A decimal's text this short (with its point) has at most 15 significant digits."""


def decimal_to_json(value: Decimal) -> int | float | str:  # noqa: PLR0911 - one exit per case
    """Return *value* as an exact JSON number when one exists, else as a string."""
    text = str(value)  # NaN, sNaN and Infinity have no point: the first test skips them
    if (
        "." in text
        and len(text) <= _SHORT_TEXT
        and "E" not in text
        and (text[-1] != "0" or text.rstrip("0")[-1] != ".")
    ):
        # Not integral (a digit after the point is not 0) and at most 15 significant
        # digits, which a double always keeps: the float is exactly this number's
        # shortest spelling, so the rules below would answer the float too (19.99, 5.50).
        return float(text)
    if not value.is_finite():
        raise SerializationError(f"cannot encode non-finite Decimal {value} as JSON")
    if text.isdigit() and len(text) <= _MAX_INT_EXPONENT:
        return int(text)  # a natural number's text: adjusted() is len(text) - 1
    as_float = float(text)
    shortest = repr(as_float)
    if shortest == text:  # the float prints exactly as the decimal (19.99)
        return as_float
    if "." in text and text.rstrip("0") == shortest:  # 5.50: the float 5.5 (not integral)
        return as_float
    if value == value.to_integral_value() and value.adjusted() < _MAX_INT_EXPONENT:
        return int(value)
    if Decimal(shortest) == value:
        return as_float
    return text


def _sorted_list(items: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _dataclass(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


# Exact-type fast path; subclasses fall through to _convert_slow.
_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    datetime: datetime.isoformat,
    date: date.isoformat,
    time: time.isoformat,
    Decimal: decimal_to_json,
    uuid.UUID: str,
    set: _sorted_list,
    frozenset: _sorted_list,
    bytes: lambda v: base64.b64encode(v).decode("ascii"),
    timedelta: timedelta.total_seconds,
}


def _convert(value: Any) -> Any:  # noqa: PLR0911 - one exit per supported type
    """Return a JSON-native stand-in for *value* (one level; the encoder recurses)."""
    convert = _CONVERTERS.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass(value)
    for kind, convert in _CONVERTERS.items():
        if isinstance(value, kind):
            return convert(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if is_model(value):  # checked last: no cost for the types above
        return dump_model(value)
    raise SerializationError(f"cannot encode {type(value).__name__} as JSON")


class SchemaEncoder(json.JSONEncoder):
    """``json.JSONEncoder`` that understands the types listed in the module docstring.

    Use it as ``json.dumps(value, cls=SchemaEncoder)``; :func:`dumps` is the faster
    shortcut. NaN and infinities are refused with :class:`SerializationError` whatever
    ``allow_nan`` says: ``json.dumps`` passes ``allow_nan=True`` to the class, and would
    write ``NaN``, which is not JSON.
    """

    def __init__(  # json.JSONEncoder's parameters, as json.dumps passes them
        self,
        *,
        skipkeys: bool = False,
        ensure_ascii: bool = True,
        check_circular: bool = True,
        allow_nan: bool = False,  # noqa: ARG002 - accepted and ignored: JSON has no NaN
        sort_keys: bool = False,
        indent: int | str | None = None,
        separators: tuple[str, str] | None = None,
        default: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(
            skipkeys=skipkeys,
            ensure_ascii=ensure_ascii,
            check_circular=check_circular,
            allow_nan=False,
            sort_keys=sort_keys,
            indent=indent,
            separators=separators,
            default=default,
        )

    def default(self, o: Any) -> Any:
        """Convert one non-JSON value; raise ``TypeError`` (the encoder contract) otherwise.

        Raises:
            SerializationError: a NaN or infinite ``Decimal``, as for a float.
            TypeError: a type with no JSON form.
        """
        if isinstance(o, Decimal):
            return decimal_to_json(o)
        try:
            return _convert(o)
        except SerializationError as exc:
            raise TypeError(str(exc)) from exc

    def iterencode(self, o: Any, _one_shot: bool = False) -> Iterator[str]:  # the base signature
        """Encode *o* in chunks, as the base class; a refused value raises SerializationError.

        Raises:
            SerializationError: a float is NaN or infinite (the encoder's ``ValueError``,
                translated), a ``Decimal`` is, or the value contains itself.
            TypeError: a type with no JSON form.
        """
        try:
            chunks = super().iterencode(o, _one_shot)
        except SerializationError:
            raise
        except ValueError as exc:
            raise _refused(exc) from None
        if isinstance(chunks, list | tuple):  # the C encoder: already complete
            return chunks
        return _translated(chunks)  # json.dump or indent: encoded while written


def _refused(exc: ValueError) -> SerializationError:
    return SerializationError(f"cannot encode value as JSON: {exc}")


def _translated(chunks: Iterator[str]) -> Iterator[str]:
    try:
        yield from chunks
    except SerializationError:
        raise
    except ValueError as exc:
        raise _refused(exc) from None


_ENCODER = SchemaEncoder(allow_nan=False)
_COMPACT = SchemaEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))

_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONVERTED = _SCALARS - {float}  # an enum's float value may be NaN: checked on the way


def _key(key: Any) -> str:
    if type(key) is str:
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    converted = to_jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def to_jsonable(value: Any) -> Any:
    """Return *value* as JSON-native data (dict, list, str, int, float, bool, None).

    Tuples and sets become lists and mapping keys become strings, exactly as a JSON round
    trip would produce them.

    Raises:
        SerializationError: a value has no JSON form.
    """
    kind = type(value)
    if kind in _SCALARS:
        if kind is float and value - value != 0.0:  # NaN and infinities (inf - inf is NaN)
            raise SerializationError(f"cannot encode non-finite float {value} as JSON")
        return value
    if kind is dict:
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_jsonable(v) for v in value]
    converted = _convert(value)
    return converted if type(converted) in _CONVERTED else to_jsonable(converted)


def dumps(value: Any) -> str:
    """Encode *value* as JSON text with :class:`SchemaEncoder` (``", "``/``": "`` separators).

    Raises:
        SerializationError: a value has no JSON form, or a float is NaN or infinite.
    """
    return _encode(_ENCODER, value)


def dumps_compact(value: Any) -> str:
    """:func:`dumps` without spaces (``","``/``":"``) and with non-ASCII kept as is.

    Raises:
        SerializationError: a value has no JSON form, or a float is NaN or infinite.
    """
    return _encode(_COMPACT, value)


def _encode(encoder: json.JSONEncoder, value: Any) -> str:
    try:
        return encoder.encode(value)
    except (TypeError, ValueError):
        pass
    # Slow path: non-string keys (UUID, Enum, date) or an error to report precisely.
    try:
        return encoder.encode(to_jsonable(value))
    except SerializationError:
        raise
    except ValueError as exc:
        raise SerializationError(f"cannot encode value as JSON: {exc}") from None
