"""One mapped column as the rules see it, and the checks of a value against it.

:class:`ColumnInfo` holds what a column's type allows (types, length, digits, integer
bound, time zone, ``Enum`` values) and refuses a value the column cannot hold, with the
same :class:`~serpens.errors.ValidationError` on every backend. :func:`_plain_types` and
:func:`_written_as_is` name the value types that need no check, for the fast paths of
:class:`~._model.ModelInfo`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

from serpens._rules.repository._values import (
    _EXACT_NUMBERS,
    _INT_NAMES,
    _NUMBERS,
    _UNBOUNDED,
    _UNITS,
    _UUID_DETAIL,
    _UUID_TEXT,
    DECIMAL_NAN,
    FLOAT_NAN,
    _as_decimal,
    _bad,
    _fits_double,
    _storable_text,
    _text_problem,
    round_to_scale,
)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One mapped column attribute."""

    key: str
    column: Any
    nullable: bool
    primary_key: bool
    autoincrement: bool
    default: Any
    onupdate: Any
    server_default: Any
    aware_datetime: bool
    accepts: tuple[type, ...] | None = None
    """Python types a filter or key value must have; ``None`` when the type is not known."""
    length: int | None = None
    """Most characters a stored string may have (``String(n)``); ``None`` when unbounded."""
    choices: Mapping[object, object] | None = None
    """An ``Enum`` column's values, each mapped to the one it stands for (a member's name
    to the member); ``None`` for other columns."""
    digits: tuple[int, int] | None = None
    """A ``Numeric(p, s)`` column's precision and scale; ``None`` when unconstrained."""
    decimal: bool = False
    """Whether the column reads numbers back as ``Decimal`` (``Numeric``, not ``Float``)."""
    floating: bool = False
    """Whether the column reads numbers back as ``float`` (``Float``, or a ``Numeric`` with
    ``asdecimal=False``): an int or a ``Decimal`` stored there comes back a float."""
    text: bool = False
    """A ``String``-like column (``Text`` included, not an ``Enum``): PostgreSQL's text,
    which holds no NUL character."""
    int_range: int | None = None
    """An integer column's bound: its values lie in ``[-int_range, int_range)`` (``2**31``
    for ``Integer``, PostgreSQL's ``int4``); ``None`` for other columns."""
    json: bool = False
    """A ``JSON`` column: what it stores is its value's JSON text, read back as JSON."""
    naive_datetime: bool = False
    """A ``DateTime`` column without a time zone (PostgreSQL's ``timestamp``): an aware
    datetime is refused, as asyncpg refuses it (psycopg2 and SQLite stored other instants)."""
    naive_time: bool = False
    """A ``Time`` column without a time zone: every driver drops a time's ``tzinfo``."""
    binary: bool = False
    """A binary column (``LargeBinary``): it reads ``bytes`` back, whatever bytes-like was
    written."""
    uuid_text: bool = False
    """A ``Uuid(as_uuid=False)`` column: its values are ``str``, in the canonical form every
    backend reads back (lowercase, hyphenated); other spellings are refused."""
    array: bool = False
    """An ``ARRAY`` column: a tuple is stored, and compared, as the list it reads back as."""
    item: ColumnInfo | None = None
    """An ``ARRAY`` column's element type, as a column of its own: each element is checked
    against it as a value of that column is (``None`` for other columns)."""

    def _items(self, value: object, path: str) -> list[tuple[object, str]]:
        """An array's elements (nested lists flattened), each with its path (``tags[0][1]``).

        ``ValidationError`` when the nesting is not rectangular (``[[1, 2], [3]]``, ``[1,
        [2]]``): PostgreSQL's arrays are, and both drivers' servers refuse others (22P02).
        """
        if not isinstance(value, list | tuple):
            return []
        shape: list[int] = []  # each depth's length
        leaves: set[int] = set()  # the depths of the levels holding elements
        found: list[tuple[object, str]] = []

        def walk(level: list[Any] | tuple[Any, ...], at: str, depth: int) -> None:
            if depth == len(shape):
                shape.append(len(level))
            nested = [isinstance(v, list | tuple) for v in level]
            if not all(nested):
                leaves.add(depth)
            if shape[depth] != len(level) or (any(nested) and depth in leaves) or len(leaves) > 1:
                raise _bad(f"bad array for {self.key}", path, "sub-arrays must match in size")
            for i, item in enumerate(level):
                if isinstance(item, list | tuple):
                    walk(item, f"{at}[{i}]", depth + 1)
                else:
                    found.append((item, f"{at}[{i}]"))

        walk(value, path, 0)
        return found

    def check_number(self, value: object, path: str) -> None:
        """Raise ``ValidationError`` when *value* does not fit the column's number type.

        An integer column holds what PostgreSQL's ``SMALLINT``, ``INTEGER`` or ``BIGINT``
        holds (SQLite holds 64 bits in each, a dictionary any int). ``Numeric(p, s)``:
        PostgreSQL rounds a number to the scale (half away from zero) and refuses it when
        it then has more than ``p - s`` digits before the point, or is infinite; SQLite and
        a dictionary would store it. A NaN fits. A float is read as its shortest text, as
        psycopg2 sends it. A float column (double precision) refuses an int or a finite
        ``Decimal`` that no double holds (one past 1.8e308, or a non-zero one that would
        become 0), as PostgreSQL does; SQLite's driver would fail with ``OverflowError``
        and a dictionary store it. PostgreSQL's SQLSTATE for all of them is 22003. An
        array's elements each fit its element type.
        """
        if self.item is None:
            self._check_scalar_number(value, path)
            return
        for item, at in self._items(value, path):
            self.item.check_number(item, at)

    def _check_scalar_number(self, value: object, path: str) -> None:
        """:meth:`check_number` of a value that is no array."""
        if self.floating:
            if (type(value) is int or type(value) is Decimal) and not _fits_double(value):
                detail = f"double precision holds about 4.9e-324 to 1.8e308, got {value!r}"
                raise _bad(f"value out of range for {self.key}", path, detail)
            return
        bound = self.int_range
        if bound is not None:
            if type(value) is int and not -bound <= value < bound:
                bits = bound.bit_length() - 1
                name = _INT_NAMES.get(bits, "integer")
                detail = f"{name} holds -2^{bits} to 2^{bits} - 1, got {value}"
                raise _bad(f"integer out of range for {self.key}", path, detail)
            return
        if self.digits is None or type(value) not in _NUMBERS:
            return
        precision, scale = self.digits
        number = _as_decimal(value)  # type: ignore[arg-type]
        if number.is_nan():
            return
        room = precision - scale
        if number.is_infinite():
            detail = f"NUMERIC({precision}, {scale}) cannot hold an infinite value"
        elif number and (
            number.adjusted() >= room or abs(round_to_scale(number, precision, scale)) >= 10**room
        ):
            detail = (
                f"NUMERIC({precision}, {scale}) must round to an absolute value "
                f"less than 10^{room}, got {value!r}"
            )
        else:
            return
        raise _bad(f"numeric field overflow for {self.key}", path, detail)

    def stored_number(self, value: Decimal | float) -> Decimal:
        """*value* as the column stores it: a ``Decimal`` rounded to its scale, if it has one.

        A float counts as its shortest text, as the drivers send it (:func:`_as_decimal`).

        Without one (``Numeric()``), as PostgreSQL's ``numeric`` keeps it: its digits at
        the scale written, never an exponent above the units (``Decimal("1E+3")`` reads
        back as ``Decimal("1000")``, ``Decimal("1.10")`` as itself).
        """
        number = _as_decimal(value)
        if number.is_finite():
            if self.digits is not None:
                number = round_to_scale(number, *self.digits)
            elif number.as_tuple().exponent > 0:  # type: ignore[operator] # finite: an int
                number = number.quantize(_UNITS, context=Context(prec=number.adjusted() + 1))
        return abs(number) if not number and number.is_finite() else number  # no -0

    def stored_key(self, value: object) -> object:
        """*value* as the column stores it, for comparing keys.

        An ``Enum`` name is its member; a number in ``Numeric(p, s)`` is rounded to the
        scale. A NaN is the one NaN of the column's kind (:data:`DECIMAL_NAN` in a
        ``Numeric``, :data:`FLOAT_NAN` in a ``Float``): PostgreSQL holds NaN equal to NaN,
        so two rows keyed NaN have one key.
        """
        if self.choices is not None:
            return self.choices.get(value, value)
        kind = type(value)
        if kind not in _NUMBERS:
            return value
        if self.digits is not None or self.decimal:
            number = _as_decimal(value)  # type: ignore[arg-type]
            if number.is_finite():
                return self.stored_number(number)
            return DECIMAL_NAN if number.is_nan() else number
        if self.floating:
            nan = value != value if kind is float else kind is Decimal and value.is_nan()  # type: ignore[attr-defined]  # noqa: PLR0124
            return FLOAT_NAN if nan else value
        return value

    def check_length(self, value: object, path: str) -> None:
        """Raise ``ValidationError`` when *value* is a string the text column cannot hold.

        One longer than the column allows: PostgreSQL rejects a 41-character value in
        ``String(40)`` (SQLSTATE 22001), while SQLite and a dictionary would store it;
        every backend checks it here before any I/O, counting characters as PostgreSQL
        does. Or one with a NUL character (U+0000), which PostgreSQL's text cannot hold
        (asyncpg's server answers 22021, psycopg2 raises a ``ValueError``). An array's
        string elements each fit its element type (psycopg2's server cut a longer one to
        the length, silently).
        """
        if self.item is not None:
            for item, at in self._items(value, path):
                self.item.check_length(item, at)
            return
        if not isinstance(value, str):
            return
        if self.text and not _storable_text(value):
            raise _bad(f"bad value for {self.key}", path, _text_problem(value))
        if self.length is not None and len(value) > self.length:
            raise _bad(
                f"value too long for {self.key}",
                path,
                f"at most {self.length} characters, got {len(value)}",
            )

    def check_value(self, value: object, path: str) -> None:
        """Raise ``ValidationError`` when *value* cannot be a value of this column.

        Backends disagree on mismatches (PostgreSQL rejects ``price = 'abc'``, SQLite and
        the fake match nothing), so reads refuse them before any I/O on every backend.
        """
        if value is None:
            return
        if self.accepts is not None:
            self._check_type(value, path)
        if self.item is not None:  # each element a value of the element type
            for item, at in self._items(value, path):
                self.item.check_value(item, at)
            return
        if self.int_range is not None or self.floating:  # a filter or key too (asyncpg)
            self.check_number(value, path)
        elif self.text and type(value) is str and not _storable_text(value):
            raise _bad(f"bad value for {self.key}", path, _text_problem(value))
        elif self.uuid_text and isinstance(value, str) and not _UUID_TEXT.fullmatch(value):
            raise _bad(f"bad value for {self.key}", path, _UUID_DETAIL)

    def _check_type(self, value: object, path: str) -> None:
        """The type, time zone and ``Enum`` checks of :meth:`check_value`."""
        accepts: tuple[type, ...] = self.accepts or ()
        bad_bool = isinstance(value, bool) and bool not in accepts
        # a datetime is a date to isinstance(): PostgreSQL truncates it, the fake compares it
        bad_datetime = isinstance(value, dt.datetime) and dt.datetime not in accepts
        if bad_bool or bad_datetime or not isinstance(value, accepts):
            wanted = " or ".join(t.__name__ for t in accepts)
            raise _bad(
                f"bad value for {self.key}", path, f"expected {wanted}, got {type(value).__name__}"
            )
        if self.aware_datetime:
            if getattr(value, "tzinfo", None) is None:
                raise _bad(f"bad value for {self.key}", path, "expected a timezone-aware datetime")
            _check_instant(value, self.key, path)
        if self.naive_datetime and value.utcoffset() is not None:  # type: ignore[attr-defined]
            raise _bad(
                f"bad value for {self.key}", path, "expected a naive datetime (no time zone)"
            )
        if self.choices is not None and value not in self.choices:
            # SQLAlchemy sends an unknown string as it is, and the row then fails to load
            raise _bad(f"bad value for {self.key}", path, f"{value!r} is not one of its values")


def _check_instant(value: object, key: str, path: str) -> None:
    """Refuse an aware datetime whose instant in UTC falls outside years 1 to 9999.

    ``datetime(9999, 12, 31, 22, tzinfo=-05:00)`` is a valid Python value whose instant
    is in year 10000: a ``UTCDateTime`` and the fake fail converting it with a bare
    ``OverflowError``, asyncpg refuses it, and psycopg2 stores it into ``timestamptz``,
    where no Python datetime can read it back (a bare ``ValueError`` on every later read).
    """
    try:
        value.astimezone(dt.UTC)  # type: ignore[attr-defined]
    except OverflowError:
        detail = f"its instant in UTC falls outside years 1 to 9999, got {value!r}"
        raise _bad(f"bad value for {key}", path, detail) from None


def _plain_types(column: ColumnInfo) -> frozenset[type]:
    """The exact types of the values *column* accepts with no further check, ``None``'s too.

    Its accepted types, except a ``DateTime`` column's ``datetime`` (its zone is checked),
    a float column's int and ``Decimal`` (each must fit a double) and a text ``Uuid``
    column's ``str`` (its spelling is checked); none for an ``Enum`` column (its values
    are mapped) or a type the rules do not know.
    """
    if column.accepts is None or column.choices is not None:
        return frozenset()
    zoned = column.aware_datetime or column.naive_datetime  # its zone is checked
    kinds = {t for t in column.accepts if not (t is dt.datetime and zoned)}
    if column.uuid_text:
        kinds.discard(str)  # its spelling is checked
    if column.floating:
        kinds -= _EXACT_NUMBERS  # an int or a Decimal must fit a double
    if column.item is not None:
        kinds -= {list, tuple}  # each element is checked
    return frozenset((*kinds, type(None)))


def _written_as_is(column: ColumnInfo) -> tuple[frozenset[type], int | None]:
    """The value types *column* stores with no check, and the limit of an unchecked ``str``.

    Its :func:`_plain_types`, but a bounded column's ``str`` (its length is checked); an
    exact ``str`` no longer than the limit needs no check either (``None``: no such limit).
    """
    plain = _plain_types(column)
    if column.digits is not None:
        plain -= _NUMBERS  # every number is checked against the precision
    if str not in plain or not (column.length or column.text):
        return plain, None
    return plain - {str}, column.length or _UNBOUNDED
