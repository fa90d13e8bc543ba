"""The value rules every column check builds on: numbers, NaN, text, UUID spelling, keys.

They hold no knowledge of a model or a column type: how a number rounds to a
``Numeric`` scale, whether a double holds an int, which one NaN object the fake stores,
whether a string is text PostgreSQL can store, and the error every check raises
(:func:`_bad`). :mod:`._columns` and the :class:`~._model.ModelInfo` checks share them.
"""

from __future__ import annotations

import pickle
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from serpens._rules.text import has_utf8
from serpens.errors import FieldError, ValidationError

_NUMBERS = frozenset((int, float, Decimal))
_UNITS = Decimal(1)
_EXACT_NUMBERS = frozenset((int, Decimal))


def _as_decimal(value: float | Decimal) -> Decimal:
    """*value* as the ``Decimal`` a driver sends for it: a float by its shortest text.

    ``1.005`` is ``Decimal("1.005")``, which ``Numeric(6, 2)`` rounds to ``1.01`` (its
    exact binary value, ``1.00499...``, would round to ``1.00``).
    """
    return Decimal(repr(value)) if type(value) is float else Decimal(value)


def _fits_double(value: int | Decimal) -> bool:
    """Whether a double holds *value* (an infinite or NaN ``Decimal`` too, as PostgreSQL's does).

    PostgreSQL reads the number's text with ``strtod`` and refuses a result that
    overflowed or that underflowed to zero; a subnormal result is kept.
    """
    try:
        as_float = float(value)
    except OverflowError:  # an int past the largest double
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return True
    return as_float - as_float == 0.0 and (as_float != 0.0 or not value)


FLOAT_NAN = float("nan")
"""The one float NaN the fake stores and filters compare with (see :meth:`ModelInfo.filters`).

PostgreSQL holds NaN equal to NaN (a filter finds it, a unique column refuses a second
one); Python's ``==`` says no, but dictionaries and tuples compare by identity first, so
one shared object makes the fake's indexes answer as PostgreSQL does."""
DECIMAL_NAN = Decimal("NaN")
"""The one ``Decimal`` NaN the fake stores and filters compare with (see :data:`FLOAT_NAN`)."""


_NAN_TYPES = frozenset((float, Decimal))


def same_nan(value: object) -> object:
    """*value*, or :data:`FLOAT_NAN` / :data:`DECIMAL_NAN` when it is a float or Decimal NaN."""
    kind = type(value)
    if kind is float and value != value:  # noqa: PLR0124 - a NaN
        return FLOAT_NAN
    if kind is Decimal and value.is_nan():  # type: ignore[attr-defined]
        return DECIMAL_NAN
    return value


_LIST, _DICT, _PICKLED = object(), object(), object()  # tags no stored value holds


def frozen(value: object) -> object:
    """A hashable stand-in for *value*, equal to another's exactly when the values are equal.

    A list, a dict (an ``ARRAY``, ``JSON`` or ``PickleType`` column's value) or a set
    cannot be a dict key, yet PostgreSQL compares such values and enforces uniqueness on
    them: the fake's indexes and the batch checks key them by this stand-in. Hashable
    values stand for themselves, so a stored tuple and a list stay apart as Python
    compares them. Anything else unhashable stands for its pickle, the bytes a
    ``PickleType`` column compares; a value with no pickle is a ``ValidationError``.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        items = tuple(map(frozen, value))  # type: ignore[call-overload]
        return items if kind is tuple else (_LIST, items)
    if kind is dict:
        return (_DICT, frozenset((k, frozen(v)) for k, v in value.items()))  # type: ignore[attr-defined]
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    if isinstance(value, set | frozenset | bytearray):
        return frozenset(value) if not isinstance(value, bytearray) else bytes(value)
    try:
        return (_PICKLED, pickle.dumps(value))
    except Exception as exc:
        raise _bad(
            "a value that cannot be compared",
            "value",
            f"{type(value).__name__} is neither hashable nor picklable",
        ) from exc


def as_array(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    """An ``ARRAY`` value as every driver reads it back: lists all the way down."""
    return [as_array(v) if isinstance(v, list | tuple) else v for v in value]


def array_rank(value: list[Any]) -> tuple[Any, ...]:
    """An ``ARRAY`` value's place in PostgreSQL's order: element by element, NULLs last.

    Python compares lists element by element too, but a NULL element beside a number
    raises ``TypeError``; PostgreSQL sorts it above every value.
    """
    return tuple(
        (True, 0) if v is None else (False, array_rank(v) if isinstance(v, list) else v)
        for v in value
    )


def hashable(values: Any) -> Any:
    """*values* (a key tuple or one value) as a dict key: itself, or :func:`frozen`."""
    try:
        hash(values)
    except TypeError:
        return frozen(values)
    return values


_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_DETAIL = (
    "expected a UUID's canonical text, lowercase and hyphenated (str(uuid.UUID(value))): "
    "backends disagree on other spellings (SQLite stores the case given and then compares "
    "it, asyncpg refuses braces, PostgreSQL reads every spelling back canonical)"
)
_INT_NAMES = {15: "SMALLINT", 31: "INTEGER", 63: "BIGINT"}
_JSON_COMPARED = (
    "a JSON column has no equality or order: PostgreSQL's json has neither (SQLSTATE 42883), "
    "SQLite compares its text, and a dictionary its objects"
)
_NUL_DETAIL = "PostgreSQL text cannot hold a NUL character (\\x00)"
_SURROGATE_DETAIL = "text must have a UTF-8 form: a lone surrogate (U+D800 to U+DFFF) has none"


def _storable_text(value: str) -> bool:
    """Whether a text column can hold *value*: no NUL character, and a UTF-8 form.

    A lone surrogate has no UTF-8 form: psycopg2, asyncpg and SQLite failed with a bare
    ``UnicodeEncodeError`` (psycopg2's COPY with a misleading cancellation).
    """
    return "\x00" not in value and has_utf8(value)


def _text_problem(value: str) -> str:
    """Why a text column cannot hold *value* (see :func:`_storable_text`)."""
    return _NUL_DETAIL if "\x00" in value else _SURROGATE_DETAIL


_UNBOUNDED = 2**63  # the "length" of a text column without one: any str fits


def round_to_scale(number: Decimal, precision: int, scale: int) -> Decimal:
    """*number* rounded to *scale* decimal places, half away from zero, as PostgreSQL does.

    Only for a number that fits ``Numeric(precision, scale)`` give or take the rounding:
    the context holds two digits more than the column, the most a rounded fit needs.
    """
    context = Context(prec=max(precision, 1) + 2, rounding=ROUND_HALF_UP)
    return number.quantize(Decimal(1).scaleb(-scale), context=context)


def _bad(message: str, path: str, detail: str) -> ValidationError:
    return ValidationError(message, [FieldError(path, detail)])


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SQL_TYPES: dict[type, bool] = {}
"""Whether each type met so far is a SQLAlchemy type (values are checked per write)."""


def is_sql_expression(value: object) -> bool:
    """Whether *value* is a SQL expression (``Product.stock + 1``), not a Python value."""
    kind = type(value)
    sql = _SQL_TYPES.get(kind)
    if sql is None:
        sql = _SQL_TYPES[kind] = any(c.__module__.startswith("sqlalchemy.") for c in kind.__mro__)
    return sql
