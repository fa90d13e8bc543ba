"""Exact JSON number text for the ``Decimal`` fields of :meth:`Schema.loads`.

``json.loads`` turns ``12345678901234567.89`` into the float ``12345678901234568.0``
before any loader sees it, so a ``Decimal`` field built from that float has lost digits.
Parsing with ``parse_float=Decimal`` keeps them, but then every other field meets a
``Decimal`` where JSON had a number: an ``int`` field would take ``2.0`` (an integral
``Decimal`` is a valid ``int``, for DynamoDB), and ``Any``, ``Literal``, enum and epoch
``datetime`` fields would get or refuse a ``Decimal``.

So floats stay floats, and the text of each one is kept beside it: :func:`decode` parses
with a ``parse_float`` hook that records ``id(value) -> (value, text)`` in a table that
:meth:`Schema.loads` opens (:func:`open_table`) for the parse and the load and closes
after. Only the ``Decimal`` converter asks for the text (:func:`literal_of`), so it builds
``Decimal(text)``, exactly what ``parse_float=Decimal`` gives, and every other field loads
exactly as from ``json.loads``. The table holds each float, so no other object can take
its ``id`` while the table is open, and a lookup checks identity too. It is a
``ContextVar``: threads and tasks each see their own, and a nested ``loads`` (from a
``__post_init__``) gets its own.

Classes that reach no ``Decimal`` annotation (:func:`needs_literals`) parse with plain
``json.loads``, at no cost.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from contextvars import ContextVar, Token
from decimal import Decimal
from typing import Any

__all__ = ["close_table", "decode", "literal_of", "needs_literals", "open_table"]

_Table = dict[int, tuple[float, str]]

_TABLE: ContextVar[_Table | None] = ContextVar("serpens_schema_json_numbers", default=None)
_NEEDS: dict[type, bool] = {}


def _record(text: str) -> float:
    """``parse_float`` hook: the float ``json.loads`` would give, its text recorded."""
    value = float(text)
    table = _TABLE.get()
    if table is not None:
        table[id(value)] = (value, text)
    return value


# Built once: json.loads(text, parse_float=...) would build a decoder on every call.
_DECODER = json.JSONDecoder(parse_float=_record)


def decode(text: str | bytes | bytearray) -> Any:
    """Parse JSON *text* as ``json.loads`` does (its checks, its errors), recording floats.

    Raises:
        json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError: as ``json.loads``.
        TypeError: *text* is not ``str``, ``bytes`` or ``bytearray``, as ``json.loads``.
    """
    if isinstance(text, str):
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    elif isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    else:
        raise TypeError(
            f"the JSON object must be str, bytes or bytearray, not {type(text).__name__}"
        )
    return _DECODER.decode(text)


def open_table() -> Token[_Table | None]:
    """Start recording float texts (for one ``loads``); pass the token to :func:`close_table`."""
    return _TABLE.set({})


def close_table(token: Token[_Table | None]) -> None:
    """Drop the table :func:`open_table` opened and restore the one before it."""
    _TABLE.reset(token)


def literal_of(value: float) -> str | None:
    """The JSON text *value* was parsed from in the current ``loads``, else None."""
    table = _TABLE.get()
    if table is None:
        return None
    entry = table.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


def needs_literals(cls: type) -> bool:
    """Whether loading *cls* can reach a ``Decimal`` annotation (cached per class).

    True when the annotations cannot be read: the load then reports the error.
    """
    needs = _NEEDS.get(cls)
    if needs is None:
        needs = _NEEDS[cls] = _reaches_decimal(cls, set())
    return needs


def _reaches_decimal(hint: Any, seen: set[type]) -> bool:
    if hint is Decimal:
        return True
    if isinstance(hint, typing.NewType):
        return _reaches_decimal(hint.__supertype__, seen)
    if any(_reaches_decimal(arg, seen) for arg in typing.get_args(hint)):
        return True
    if not isinstance(hint, type) or not dataclasses.is_dataclass(hint) or hint in seen:
        return False
    seen.add(hint)
    try:
        hints = typing.get_type_hints(hint)
    except (NameError, TypeError):  # Schema.load reports them
        return True
    return any(_reaches_decimal(hints.get(f.name), seen) for f in dataclasses.fields(hint))
