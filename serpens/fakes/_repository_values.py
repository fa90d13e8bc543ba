"""How the in-memory repository stores a value: immutable or copied, JSON, enum order.

Held apart from the row rules because everything that touches a stored value needs it:
the rules that write rows, the defaults that fill them and the repository that hands
copies of them to objects. Pure functions, no state.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from serpens._rules.text import has_utf8
from serpens.errors import FieldError, ValidationError
from serpens.fakes._repository_index import Rank

__all__ = ["PLAIN_TYPES", "copy_value"]

_IMMUTABLE = (str, int, float, bool, type(None), Decimal, dt.date, dt.time, uuid.UUID, bytes)
# The exact types of the common immutable values: on the hot paths a set lookup answers
# before the isinstance checks (which also accept subclasses) are needed.
PLAIN_TYPES = frozenset({str, int, float, bool, type(None), Decimal, uuid.UUID, bytes})


def copy_value(value: object) -> object:
    """*value* itself when immutable, else a deep copy."""
    return value if isinstance(value, _IMMUTABLE) else copy.deepcopy(value)


def _as_json(key: str, value: object, null: object) -> object:
    """*value* as a ``JSON`` column reads it back: its JSON text, read again.

    The text is ``json.dumps``'s, as SQLAlchemy writes it, so int keys come back as
    strings and tuples as lists.
    A value with no JSON text (a date, a ``Decimal``, a set) is refused as SQLAlchemy's
    serializer refuses it; so is a NaN or an infinity, which PostgreSQL's ``json`` refuses.
    ``JSON.NULL`` is JSON's ``null``.
    """
    if value is null:
        return None
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(
            f"bad JSON value for {key}", [FieldError(key, f"not JSON: {exc}")]
        ) from None


def _as_jsonb(key: str, value: object) -> object:
    """A JSON value (:func:`_as_json`'s) as PostgreSQL's ``jsonb`` reads it back.

    ``jsonb`` stores a parsed form: an object's keys sorted by length, then bytes
    (``{"bb": 1, "a": 2}`` reads back as ``{"a": 2, "bb": 1}``), and numbers as
    ``numeric``, so an integral float written in exponent form reads back as an int
    (``1e20`` is ``100000000000000000000``). It holds no NUL and no lone surrogate (its
    22P05 and 22P02): a ``ValidationError``, as the SQL adapters map those.
    """
    if isinstance(value, dict):
        items = [(_jsonb_text(key, k), _as_jsonb(key, v)) for k, v in value.items()]
        items.sort(key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        return dict(items)
    if isinstance(value, list):
        return [_as_jsonb(key, v) for v in value]
    if isinstance(value, str):
        return _jsonb_text(key, value)
    if type(value) is float and value.is_integer() and "e" in repr(value):
        return int(Decimal(repr(value)))
    return value


def _jsonb_text(key: str, text: str) -> str:
    if "\x00" in text or not has_utf8(text):
        raise ValidationError(
            f"bad JSON value for {key}",
            [FieldError(key, "jsonb holds no NUL character and no lone surrogate")],
        )
    return text


def _enum_rank(column_type: Any) -> Rank:
    """Each value of an ``Enum`` column -> its place in the order PostgreSQL gives it.

    A native enum (``CREATE TYPE ... AS ENUM``) sorts in declaration order; a non-native
    one is a ``VARCHAR`` of the stored strings (member names, or what ``values_callable``
    gives), sorted as text. Either way not as the members compare: a plain ``Enum``'s do
    not, a ``StrEnum``'s compare by value. SQLite stores every enum as text and sorts a
    native one by its strings too.
    """
    stored: list[str] = list(column_type.enums)
    enum_class = column_type.enum_class
    values: list[object] = (
        list(stored) if enum_class is None else list(enum_class.__members__.values())
    )
    places: list[int]
    if column_type.native_enum:
        places = list(range(len(stored)))
    else:
        by_text = sorted(range(len(stored)), key=stored.__getitem__)
        places = [by_text.index(i) for i in range(len(stored))]
    return dict(zip(values, places, strict=True)).__getitem__


def _array_as_read_back(item: Any, value: object) -> object:  # noqa: PLR0911 - one exit per kind
    """An ``ARRAY``'s elements as PostgreSQL reads them back (nested arrays alike).

    *item* is the rules' ``ColumnInfo`` of the element type: an ``Enum`` element becomes
    the member it stands for, a ``Numeric(p, s)`` one a ``Decimal`` at the scale (``1.005``
    reads back ``1.01``), a float one a float, an aware datetime one the instant in UTC.
    """
    if isinstance(value, list):
        return [_array_as_read_back(item, v) for v in value]
    if value is None:
        return None
    if item.choices is not None:
        return item.choices[value]
    if item.decimal and (type(value) is int or type(value) is Decimal or type(value) is float):
        return item.stored_number(value)  # a float too: its text, at the scale
    if item.floating and (type(value) is int or type(value) is Decimal):
        return float(value)
    if item.aware_datetime and isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value
