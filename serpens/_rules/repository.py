"""Sans-I/O knowledge about one SQLAlchemy-mapped model, shared by the fake and the adapter.

Both :class:`serpens.fakes.InMemoryRepository` and ``serpens_sqlalchemy.SQLAlchemyRepository``
validate field names, ``order_by``, conflict targets, pages and cursors here, so they reject
bad input with the same :class:`~serpens.errors.ValidationError` before any I/O. SQLAlchemy
is imported lazily: importing this module needs no SDK.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import json
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from serpens._rules.text import has_utf8
from serpens.errors import FieldError, NotFoundError, ValidationError

__all__ = [
    "DECIMAL_NAN",
    "FLOAT_NAN",
    "ColumnInfo",
    "ModelInfo",
    "OrderTerm",
    "RawOrder",
    "is_sql_expression",
    "model_info",
    "same_nan",
]

MAX_PAGE_SIZE = 1000
"""Largest ``size`` accepted by ``paginate`` and ``limit`` accepted by ``seek``."""


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
        and a dictionary store it. PostgreSQL's SQLSTATE for all of them is 22003.
        """
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
        number = Decimal(repr(value)) if type(value) is float else Decimal(value)  # type: ignore[arg-type]
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

    def stored_number(self, value: Decimal | int) -> Decimal:
        """*value* as the column stores it: a ``Decimal`` rounded to its scale, if it has one.

        Without one (``Numeric()``), as PostgreSQL's ``numeric`` keeps it: its digits at
        the scale written, never an exponent above the units (``Decimal("1E+3")`` reads
        back as ``Decimal("1000")``, ``Decimal("1.10")`` as itself).
        """
        number = Decimal(value)
        if number.is_finite():
            if self.digits is not None:
                number = round_to_scale(number, *self.digits)
            elif number.as_tuple().exponent > 0:  # type: ignore[operator] # finite: an int
                number = number.quantize(_UNITS, context=Context(prec=number.adjusted() + 1))
        return abs(number) if not number and number.is_finite() else number  # no -0

    def stored_key(self, value: object) -> object:
        """*value* as the column stores it, for comparing keys.

        An ``Enum`` name is its member; a number in ``Numeric(p, s)`` is rounded to the scale.
        """
        if self.choices is not None:
            return self.choices.get(value, value)
        if self.digits is not None and type(value) in _NUMBERS:
            number = Decimal(repr(value)) if type(value) is float else Decimal(value)  # type: ignore[arg-type]
            return self.stored_number(number) if number.is_finite() else value
        return value

    def check_length(self, value: object, path: str) -> None:
        """Raise ``ValidationError`` when *value* is a string the text column cannot hold.

        One longer than the column allows: PostgreSQL rejects a 41-character value in
        ``String(40)`` (SQLSTATE 22001), while SQLite and a dictionary would store it;
        every backend checks it here before any I/O, counting characters as PostgreSQL
        does. Or one with a NUL character (U+0000), which PostgreSQL's text cannot hold
        (asyncpg's server answers 22021, psycopg2 raises a ``ValueError``).
        """
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


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """Sort by attribute *key*, descending when *descending*; NULLs last ascending."""

    key: str
    descending: bool = False

    @property
    def label(self) -> str:
        """The ``"-key"`` spelling used in cursors."""
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True, slots=True)
class RawOrder:
    """An arbitrary SQL ordering expression only a SQL backend can evaluate."""

    expression: Any


_NUMBERS = frozenset((int, float, Decimal))
_UNITS = Decimal(1)
_EXACT_NUMBERS = frozenset((int, Decimal))


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


def _accepted_types(column_type: Any) -> tuple[type, ...] | None:  # noqa: C901, PLR0911 - one per type
    """The Python types equality filters on *column_type* accept, or ``None`` (unchecked)."""
    import sqlalchemy as sa  # noqa: PLC0415

    if isinstance(column_type, sa.TypeDecorator):
        impl = column_type.impl_instance
        # Only our UTCDateTime is known to take what its DateTime impl takes.
        known = type(column_type).__name__ == "UTCDateTime" and isinstance(impl, sa.DateTime)
        return (dt.datetime,) if known else None
    if isinstance(column_type, sa.Boolean):
        return (bool,)
    if isinstance(column_type, sa.Integer):
        return (int,)
    if isinstance(column_type, sa.Numeric | sa.Float):  # Float is not a Numeric on 2.1
        return (int, float, Decimal)
    if isinstance(column_type, sa.Enum):
        enum_class = column_type.enum_class
        return (str,) if enum_class is None else (str, enum_class)
    if isinstance(column_type, sa.String):
        return (str,)
    if isinstance(column_type, sa.DateTime):
        return (dt.datetime,)
    if isinstance(column_type, sa.Date):
        return (dt.date,)
    if isinstance(column_type, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return (bytes, bytearray, memoryview)  # a str: psycopg2 raised a bare TypeError
    if isinstance(column_type, sa.Uuid):
        # as_uuid=False holds str: SQLite refuses a UUID object there (PostgreSQL takes it)
        return (uuid.UUID,) if column_type.as_uuid else (str,)
    return None


def _choices(column_type: Any) -> dict[object, object] | None:
    """An ``Enum`` type's values, each mapped to what it stands for; ``None`` otherwise.

    For an enum class: each member and the string SQLAlchemy stores for it (its name, or
    what ``values_callable`` gives), both mapped to the member; plain strings map to
    themselves.
    """
    import sqlalchemy as sa  # noqa: PLC0415

    if not isinstance(column_type, sa.Enum):
        return None
    if column_type.enum_class is None:
        return {value: value for value in column_type.enums}
    members = list(column_type.enum_class.__members__.values())
    return {**{m: m for m in members}, **dict(zip(column_type.enums, members, strict=True))}


def _length(column_type: Any) -> int | None:
    """The character limit of a ``String(n)``-like column type, or ``None``."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    if isinstance(impl, sa.String) and not isinstance(impl, sa.Enum):
        length = impl.length
        return length if isinstance(length, int) and length > 0 else None
    return None


def _digits(column_type: Any) -> tuple[int, int] | None:
    """A ``Numeric(p, s)`` column type's precision and scale (scale 0 if unset), or ``None``."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    if not isinstance(impl, sa.Numeric) or isinstance(impl, sa.Float):
        return None
    precision, scale = impl.precision, impl.scale
    if not isinstance(precision, int) or precision <= 0:
        return None
    return precision, scale if isinstance(scale, int) else 0


def _int_range(column_type: Any) -> int | None:
    """The bound of an integer column type's values, as PostgreSQL stores them, or ``None``."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    if isinstance(impl, sa.SmallInteger):
        return 2**15
    if isinstance(impl, sa.BigInteger):
        return 2**63
    if isinstance(impl, sa.Integer):
        return 2**31
    return None


def _decimal(column_type: Any) -> bool:
    """Whether *column_type* reads numbers back as ``Decimal`` (a ``Numeric``, ``asdecimal``)."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    return isinstance(impl, sa.Numeric) and not isinstance(impl, sa.Float) and bool(impl.asdecimal)


def _floating(column_type: Any) -> bool:
    """Whether *column_type* reads numbers back as ``float`` (a ``Float``, or not ``asdecimal``)."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    return isinstance(impl, sa.Numeric | sa.Float) and not impl.asdecimal


def _text(column_type: Any) -> bool:
    """Whether *column_type* is a ``String``-like type (``Text`` too), not an ``Enum``."""
    import sqlalchemy as sa  # noqa: PLC0415

    impl = column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type
    return isinstance(impl, sa.String) and not isinstance(impl, sa.Enum)


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


_SQL_TYPES: dict[type, bool] = {}
"""Whether each type met so far is a SQLAlchemy type (values are checked per write)."""


def is_sql_expression(value: object) -> bool:
    """Whether *value* is a SQL expression (``Product.stock + 1``), not a Python value."""
    kind = type(value)
    sql = _SQL_TYPES.get(kind)
    if sql is None:
        sql = _SQL_TYPES[kind] = any(c.__module__.startswith("sqlalchemy.") for c in kind.__mro__)
    return sql


class ModelInfo:
    """Columns, keys, unique constraints and version column of one mapped class."""

    def __init__(self, model: type[Any]) -> None:
        import sqlalchemy as sa  # noqa: PLC0415 - keep serpens importable without the SDK

        try:
            mapper = sa.inspect(model)
        except sa.exc.NoInspectionAvailable as exc:
            raise ValidationError(f"{model!r} is not a SQLAlchemy-mapped class") from exc
        self.model = model
        self.name = model.__name__
        self.mapper = mapper
        self.table = mapper.local_table
        self.columns: dict[str, ColumnInfo] = {}
        self._key_of: dict[Any, str] = {}
        for prop in mapper.column_attrs:
            if len(prop.columns) != 1:  # pragma: no cover - multi-column properties are rare
                continue
            col = prop.columns[0]
            impl = getattr(col.type, "impl", col.type)
            self.columns[prop.key] = ColumnInfo(
                key=prop.key,
                column=col,
                nullable=bool(col.nullable),
                primary_key=bool(col.primary_key),
                autoincrement=col is self.table.autoincrement_column,
                default=col.default,
                onupdate=col.onupdate,
                server_default=col.server_default,
                aware_datetime=isinstance(impl, sa.DateTime) and bool(impl.timezone),
                accepts=_accepted_types(col.type),
                length=_length(col.type),
                choices=_choices(col.type),
                digits=_digits(col.type),
                decimal=_decimal(col.type),
                floating=_floating(col.type),
                int_range=_int_range(col.type),
                text=_text(col.type),
                json=isinstance(impl, sa.JSON),
                naive_datetime=isinstance(col.type, sa.DateTime) and not col.type.timezone,
                naive_time=isinstance(col.type, sa.Time) and not col.type.timezone,
                binary=isinstance(col.type, sa.LargeBinary | sa.BINARY | sa.VARBINARY),
                uuid_text=isinstance(col.type, sa.Uuid) and not col.type.as_uuid,
            )
            self._key_of[col] = prop.key
        self.pk: tuple[str, ...] = tuple(self._key_of[c] for c in mapper.primary_key)
        uniques: list[tuple[str, ...]] = [self.pk]
        uniques.extend(
            tuple(self._key_of[c] for c in constraint.columns)
            for constraint in self.table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        )
        uniques.extend(
            tuple(self._key_of[c] for c in index.columns)
            for index in self.table.indexes
            if index.unique and all(c in self._key_of for c in index.columns)
        )
        uniques.extend(
            (self._key_of[col],) for col in self.table.columns if col.unique and col in self._key_of
        )
        self.unique_sets: tuple[tuple[str, ...], ...] = tuple(dict.fromkeys(uniques))
        self.bounded: tuple[ColumnInfo, ...] = tuple(
            c
            for c in self.columns.values()
            if c.text or c.length or c.digits or c.int_range or c.floating
        )
        """The columns whose stored values have a limit: a string length, a number's size."""
        self._ranged: tuple[tuple[str, int, ColumnInfo], ...] = tuple(
            (c.key, c.int_range, c) for c in self.columns.values() if c.int_range
        )
        """The integer columns, each with its bound, for :meth:`check_row`."""
        self._written: tuple[tuple[ColumnInfo, frozenset[type], int | None], ...] = tuple(
            (c, *_written_as_is(c))
            for c in self.columns.values()
            if c.accepts or c.length or c.digits or c.int_range or c.text
        )
        """The columns :meth:`check_row` checks, each with the value types it stores unchecked
        and the length an exact ``str`` may have unchecked."""
        self._targets: dict[tuple[str, ...], tuple[str, ...]] = {}  # conflict_on -> unique set
        self._within: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}  # see unique_within
        self._plain: dict[str, frozenset[type]] = {
            c.key: _plain_types(c) for c in self.columns.values()
        }
        """Per column, the exact value types :meth:`ColumnInfo.check_value` accepts as they
        are (``None`` included): a filter or key of one of them needs no further check."""
        self._plain_filters: dict[str, frozenset[type]] = {
            c.key: self._plain[c.key] - {float} if c.decimal else self._plain[c.key]
            for c in self.columns.values()
        }
        """:attr:`_plain` for filters: a float for a ``Numeric`` column is mapped first."""
        self._pk_plain = self._plain[self.pk[0]] if len(self.pk) == 1 else frozenset()
        self._pk_range = self.columns[self.pk[0]].int_range if len(self.pk) == 1 else None
        self._orders: dict[str | None, tuple[OrderTerm | RawOrder, ...]] = {}  # order_by -> terms
        version_col = mapper.version_id_col
        self.version: str | None = (
            self._key_of.get(version_col) if version_col is not None else None
        )

    # -- names ---------------------------------------------------------------------------
    def key_of(self, column: Any) -> str | None:
        """Return the attribute key mapped to *column*, or ``None``."""
        return self._key_of.get(column)

    def check_fields(self, names: Iterable[str], what: str) -> None:
        """Raise ``ValidationError`` naming every name in *names* that is not a column."""
        unknown = [n for n in names if n not in self.columns]
        if unknown:
            raise ValidationError(
                f"unknown {what} for {self.name}",
                [FieldError(n, f"not a column of {self.name}") for n in unknown],
            )

    def check_row(self, values: Mapping[str, object], prefix: str = "") -> None:
        """Raise ``ValidationError`` (path ``prefix + key``) for a value its column cannot store.

        What :meth:`batch` checks for the bulk writes, for one object's writes (``add``, a
        flush): a value of another type (``price="12"``: psycopg2 lets the server cast it,
        asyncpg raises, SQLite stores the string, the fake would keep it), a naive datetime
        in a timezone-aware column, a string over its limit. A SQL expression assigned to an
        attribute passes: only a SQL backend evaluates it.
        """
        for column, as_is, bound in self._written:
            value = values.get(column.key)
            kind = type(value)
            if value is None or kind in as_is:
                continue
            if kind is str and bound and len(value) <= bound and _storable_text(value):  # type: ignore[arg-type] # a str
                continue
            if is_sql_expression(value):
                continue
            path = prefix + column.key
            column.check_value(value, path)
            column.check_length(value, path)
            column.check_number(value, path)
        for key, bound, column in self._ranged:  # an int is stored as is once in range
            value = values.get(key)
            if type(value) is int and not -bound <= value < bound:
                column.check_number(value, prefix + key)

    def filters(self, filters: Mapping[str, object]) -> dict[str, object]:
        """Validate equality filters (``None`` means IS NULL) and return them as a dict.

        An ``Enum`` column's value comes back as what it stands for (``"RED"`` as
        ``Color.RED``), and a number as the column's kind: a ``Decimal`` of a float's
        shortest text for a ``Numeric`` column (``1.1`` is ``Decimal("1.1")``, as psycopg2
        sends it; asyncpg sent its binary value, which no stored number equals), a float
        for a ``Float`` column (``Decimal("0.1")`` is the double ``0.1`` there, as on
        PostgreSQL). So every backend compares the same thing.
        """
        plain = self._plain_filters
        if (
            all(type(value) in plain.get(key, ()) for key, value in filters.items())
            and all(
                type(value := filters.get(key)) is not int or -bound <= value < bound
                for key, bound, _ in self._ranged
            )
            and all(
                _storable_text(v)
                if type(v) is str
                else type(v) not in _NAN_TYPES or same_nan(v) is v  # a NaN is mapped
                for v in filters.values()
            )
        ):
            return dict(filters)  # known columns, values of their own types: nothing to map
        self.check_fields(filters, "filter")
        out = dict(filters)
        for key, value in filters.items():
            column = self.columns[key]
            if column.json and value is not None:
                raise _bad(f"bad filter for {self.name}", key, _JSON_COMPARED)
            column.check_value(value, key)
            if value is None:
                continue
            if column.choices is not None:
                out[key] = column.choices[value]
            elif column.decimal and type(value) is float:
                out[key] = Decimal(repr(value))
            elif column.floating and type(value) in _EXACT_NUMBERS:
                out[key] = float(value)  # type: ignore[arg-type]
            out[key] = same_nan(out[key])
        return out

    def ident(self, ident: object) -> tuple[object, ...]:
        """Return the primary-key tuple for *ident* (a scalar, or a tuple for composite keys)."""
        kind = type(ident)
        if kind in self._pk_plain:  # one key column, a value of its own type
            bound = self._pk_range
            in_range = bound is None or kind is not int or -bound <= ident < bound  # type: ignore[operator]
            if in_range and (kind is not str or _storable_text(ident)):  # type: ignore[arg-type]
                return (ident,)
        values = tuple(ident) if isinstance(ident, tuple | list) else (ident,)
        if len(values) != len(self.pk):
            raise _bad(f"bad primary key for {self.name}", "ident", f"expected {self.pk}")
        for key, value in zip(self.pk, values, strict=True):
            self.columns[key].check_value(value, "ident")
        return values

    def not_found(self, ident: object) -> NotFoundError:
        """The documented ``"<Model> id=<repr>"`` error."""
        return NotFoundError(f"{self.name} id={ident!r}")

    # -- ordering ------------------------------------------------------------------------
    def order(self, order_by: object) -> list[OrderTerm | RawOrder]:
        """Resolve ``order_by`` and append the primary key as the final tiebreaker.

        Accepts names, ``"-name"``, mapped attributes, their ``.asc()``/``.desc()``, or
        other SQL expressions (kept as :class:`RawOrder` for SQL backends).
        """
        if order_by is None or isinstance(order_by, str):  # resolved once per model
            known = self._orders.get(order_by)
            if known is None:
                known = self._orders[order_by] = tuple(self._resolve(order_by))
            return list(known)
        return self._resolve(order_by)

    def _resolve(self, order_by: object) -> list[OrderTerm | RawOrder]:
        if order_by is None:
            items: Sequence[object] = ()
        elif isinstance(order_by, str) or not isinstance(order_by, Sequence):
            items = (order_by,)
        else:
            items = order_by
        terms: list[OrderTerm | RawOrder] = [self._term(item) for item in items]
        named = {t.key for t in terms if isinstance(t, OrderTerm)}
        terms.extend(OrderTerm(k) for k in self.pk if k not in named)
        return terms

    def _term(self, item: object) -> OrderTerm | RawOrder:
        term = self._mapped_term(item)
        if isinstance(term, OrderTerm) and self.columns[term.key].json:
            raise _bad(f"bad order_by for {self.name}", "order_by", _JSON_COMPARED)
        return term

    def _mapped_term(self, item: object) -> OrderTerm | RawOrder:
        if isinstance(item, str):
            descending = item.startswith("-")
            key = item.removeprefix("-")
            self.check_fields([key], "order_by field")
            return OrderTerm(key, descending)
        descending = False
        element: Any = item
        modifier = getattr(getattr(item, "modifier", None), "__name__", None)
        if modifier in {"desc_op", "asc_op"}:
            descending = modifier == "desc_op"
            element = item.element  # type: ignore[attr-defined]
        if getattr(element, "class_", None) is self.model and element.key in self.columns:
            return OrderTerm(element.key, descending)
        for column in getattr(element, "proxy_set", ()):
            found = self.key_of(column)
            if found is not None:
                return OrderTerm(found, descending)
        if not (hasattr(item, "__clause_element__") or hasattr(item, "compile")):
            raise _bad(f"bad order_by for {self.name}", "order_by", f"cannot order by {item!r}")
        return RawOrder(item)

    def seek_terms(self, order_by: object) -> list[OrderTerm]:
        """Ordering usable for keyset pagination: mapped, non-nullable columns only.

        And only of types a cursor carries (strings, numbers, booleans, ``Decimal``,
        dates and datetimes, UUIDs): a ``LargeBinary`` or ``Enum`` order would fail only
        when a page needed a next cursor, so it is refused up front.
        """
        terms = self.order(order_by)
        out: list[OrderTerm] = []
        for term in terms:
            if isinstance(term, RawOrder):
                what = str(term.expression)
            elif self.columns[term.key].nullable or not _in_cursors(self.columns[term.key]):
                what = term.key
            else:
                out.append(term)
                continue
            raise _bad(
                f"keyset pagination of {self.name} needs non-nullable columns a cursor holds",
                "order_by",
                f"{what} cannot be used",
            )
        return out

    def unique_within(self, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        """The unique column sets (primary key first) whose columns are all among *names*.

        Cached per tuple of names: equality filters on them can match one row at most.
        """
        found = self._within.get(names)
        if found is None:
            given = set(names)
            found = self._within[names] = tuple(u for u in self.unique_sets if given.issuperset(u))
        return found

    # -- writes --------------------------------------------------------------------------
    def conflict_target(self, conflict_on: Sequence[str]) -> tuple[str, ...]:
        """Return *conflict_on* when it names the primary key or one unique constraint/index."""
        if isinstance(conflict_on, str):
            conflict_on = [conflict_on]
        asked = tuple(conflict_on)
        known = self._targets.get(asked)
        if known is not None:
            return known
        self.check_fields(asked, "conflict_on field")
        wanted = set(asked)
        for unique in self.unique_sets:
            if set(unique) == wanted:
                self._targets[asked] = unique
                return unique
        raise _bad(
            f"conflict_on must name the primary key or a unique constraint of {self.name}",
            "conflict_on",
            f"{sorted(wanted)} is not one of {[list(u) for u in self.unique_sets]}",
        )

    def upsert_args(
        self,
        values: Mapping[str, object],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """Validate upsert arguments; return (conflict columns, update fields or None).

        ``None`` means "insert or do nothing", and so does an empty ``update_fields``:
        updating no field leaves an existing row as it is (no version bump, no
        ``onupdate``), and a new row is inserted either way.
        """
        target = self.conflict_target(conflict_on)
        self.check_fields(values, "value")
        self.check_row(values)
        missing = [k for k in target if k not in values]
        if missing:
            raise ValidationError(
                f"upsert of {self.name} needs every conflict_on value",
                [FieldError(k, "missing") for k in missing],
            )
        if update_fields is None:
            return target, None
        if isinstance(update_fields, str):
            update_fields = [update_fields]
        self.check_fields(update_fields, "update field")
        if not update_fields:
            return target, None
        absent = [f for f in update_fields if f not in values]
        if absent:
            raise ValidationError(
                f"update_fields of {self.name} must be present in values",
                [FieldError(f, "missing from values") for f in absent],
            )
        return target, tuple(update_fields)

    def batch(self, rows: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
        """Validate a batch of row dicts: known fields, the same fields in every row.

        Dicts are returned as given, not copied (10k copies cost more than the INSERT's
        own preparation): callers build new dicts rather than change these.
        """
        batch = [r if type(r) is dict else dict(r) for r in rows]
        if not batch:
            return []
        keys = set(batch[0])
        self.check_fields(keys, "value")
        # One list of values per field, at C speed: it proves every row has the first
        # row's fields (a missing one is a KeyError, an extra one a different length) and
        # feeds the type and length checks. Rows are walked one by one only to name the
        # first offender.
        try:
            values = {key: list(map(operator.itemgetter(key), batch)) for key in batch[0]}
        except KeyError:
            values = {}
        # every row has the first row's fields: equal sizes leave no room for another one
        if not values or sum(map(len, batch)) != len(keys) * len(batch):
            for i, row in enumerate(batch):
                if row.keys() != keys:
                    raise ValidationError(
                        f"every row of a batch of {self.name} needs the same fields",
                        [FieldError(f"rows[{i}]", f"has {sorted(row)}, expected {sorted(keys)}")],
                    )
        self._check_batch_lengths(values, self.check_batch_types(values))
        return batch

    def _check_batch_lengths(
        self, values: Mapping[str, list[object]], kinds: Mapping[str, set[type]]
    ) -> None:
        """Each value of a bounded column fits it, or ``ValidationError`` (``rows[i].k``).

        A string its length, a number its ``Numeric(p, s)``.
        """
        for column in self.bounded:
            key = column.key
            if key not in values:
                continue
            found = kinds.get(key)
            if found is None:
                found = set(map(type, values[key]))
            if _all_fit(column, values[key], found):
                continue
            for i, value in enumerate(values[key]):
                column.check_length(value, f"rows[{i}].{key}")
                column.check_number(value, f"rows[{i}].{key}")

    def check_batch_types(self, values: Mapping[str, list[object]]) -> dict[str, set[type]]:
        """Each value of each field has its column's type, or ``ValidationError`` (``rows[i].k``).

        *values* holds each field's values in row order, the fields in the first row's
        order (so the first bad one is named). Drivers disagree on a mismatch (asyncpg
        raises ``TypeError``, psycopg2 lets the server reject it, the fake would store it),
        so every backend checks it here first. One set of the value types per column
        decides the common case at C speed; values are walked one by one only to name an
        offending one (or check time zones).

        Returns the set of value types of each field it took at C speed, for the length
        checks to reuse.
        """
        kinds: dict[str, set[type]] = {}
        for key, column_values in values.items():
            column = self.columns.get(key)
            if column is None or column.accepts is None:
                continue
            found = kinds[key] = set(map(type, column_values))
            if found <= self._plain[key]:  # no zone-aware datetime, no Enum name to check
                continue
            for i, value in enumerate(column_values):
                column.check_value(value, f"rows[{i}].{key}")
        return kinds

    def upsert_many_args(
        self,
        rows: Iterable[Mapping[str, object]],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[list[dict[str, object]], tuple[str, ...], tuple[str, ...] | None]:
        """Validate an ``upsert_many`` batch: rows, conflict columns, update fields."""
        batch = self.batch(rows)
        if not batch:
            self.conflict_target(conflict_on)
            return [], (), None
        # Every row has the first row's fields (batch() checked), so one check serves all.
        target, fields = self.upsert_args(batch[0], conflict_on, update_fields)
        # A single-column key is compared as the bare value (an itemgetter of one key
        # gives it): 10k tuples kept alive would cost more in garbage collection than the
        # whole check. Several columns give tuples.
        keys: list[object] = list(map(operator.itemgetter(*target), batch))
        stored = [self.columns[k] for k in target]
        if any(c.choices is not None or c.digits is not None for c in stored):
            # compared as the columns store them: "RED" is Color.RED, 1.001 is 1.00 in
            # Numeric(6, 2) (PostgreSQL would update one row twice, SQLSTATE 21000)
            if len(stored) == 1:
                keys = list(map(stored[0].stored_key, keys))
            else:
                keys = [
                    tuple(c.stored_key(v) for c, v in zip(stored, key, strict=True))  # type: ignore[call-overload]
                    for key in keys
                ]
        if len(set(keys)) != len(keys):
            seen: dict[object, int] = {}
            for i, key in enumerate(keys):
                if key in seen:
                    raise ValidationError(
                        f"upsert_many of {self.name} got one conflict key twice",
                        [FieldError(f"rows[{i}]", f"same {list(target)} as rows[{seen[key]}]")],
                    )
                seen[key] = i
        return batch, target, fields

    # -- windows -------------------------------------------------------------------------
    @staticmethod
    def check_window(limit: int | None, offset: int | None) -> None:
        """``limit`` and ``offset`` must be non-negative integers when given."""
        for name, value in (("limit", limit), ("offset", offset)):
            if value is not None and (not _is_int(value) or value < 0):
                raise _bad("bad list window", name, f"must be an integer >= 0, got {value!r}")

    @staticmethod
    def check_page(page: int, size: int, max_size: int = MAX_PAGE_SIZE) -> None:
        """``page >= 1`` and ``1 <= size <= max_size``."""
        if not _is_int(page) or page < 1:
            raise _bad("bad page", "page", f"must be an integer >= 1, got {page!r}")
        if not _is_int(size) or not 1 <= size <= max_size:
            raise _bad("bad page size", "size", f"must be in 1..{max_size}, got {size!r}")

    @staticmethod
    def check_limit(limit: int, max_size: int = MAX_PAGE_SIZE) -> None:
        """``1 <= limit <= max_size``: the page of a ``seek``."""
        if not _is_int(limit) or not 1 <= limit <= max_size:
            raise _bad("bad page size", "limit", f"must be in 1..{max_size}, got {limit!r}")

    # -- cursors -------------------------------------------------------------------------
    def encode_cursor(self, terms: Sequence[OrderTerm], row: Mapping[str, object]) -> str:
        """Opaque cursor holding the order values of *row* (and the ordering it belongs to)."""
        payload = {"o": [t.label for t in terms], "v": [_dump(row[t.key]) for t in terms]}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, cursor: str, terms: Sequence[OrderTerm]) -> list[object]:
        """Return the order values in *cursor*; ``ValidationError`` when it is not ours.

        Cursors travel in query strings, so anything may come back: every failure to
        decode is a ``ValidationError`` (never ``ValueError``, ``InvalidOperation``,
        ``RecursionError``...), and each value is checked against its column before any
        backend sees it.
        """
        not_ours = _bad("bad cursor", "after", "not a cursor returned by seek")
        if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
            raise not_ours
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
        except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
            raise not_ours from exc
        labels = payload.get("o") if isinstance(payload, dict) else None
        values = payload.get("v") if isinstance(payload, dict) else None
        if not isinstance(labels, list) or not isinstance(values, list):
            raise not_ours
        if labels != [t.label for t in terms] or len(values) != len(terms):
            raise _bad("bad cursor", "after", "the cursor belongs to a different order_by")
        decoded: list[object] = []
        for term, value in zip(terms, values, strict=True):
            loaded = _load(value)
            if loaded is _INVALID:
                raise not_ours
            column = self.columns.get(term.key)
            if column is not None:
                column.check_value(loaded, "after")
            decoded.append(loaded)
        return decoded


_STR_OR_NONE = frozenset((str, type(None)))
_INT_OR_NONE = frozenset((int, type(None)))
_FLOAT_OR_NONE = frozenset((float, type(None)))
_DOUBLE_INTS = 2**1023
"""Every int of a smaller magnitude converts to a finite double."""


def _all_fit(column: ColumnInfo, values: list[object], found: set[type]) -> bool:  # noqa: PLR0911 - one exit per case
    """Whether *values* (of the types *found*) all fit *column*, decided at C speed.

    ``True`` for the common cases: strings (or ``None``) within the length, ints (or
    ``None``) within an integer type or a ``Numeric(p, s)``. ``False`` means "look one by
    one".
    """
    kept: Iterable[Any] = filter(None, values) if type(None) in found else values
    if found <= _STR_OR_NONE and (column.text or column.length is not None):
        strings = list(kept)
        if column.text and not _storable_text("".join(strings)):
            return False
        return column.length is None or max(map(len, strings), default=0) <= column.length
    if found <= _INT_OR_NONE:  # a 0 left out by the filter fits anyway
        if column.int_range is not None:
            ints = list(kept)
            return not ints or (min(ints) >= -column.int_range and max(ints) < column.int_range)
        if column.digits is not None:
            precision, scale = column.digits
            return bool(max(map(abs, kept), default=0) < 10 ** (precision - scale))
        if column.floating:
            return bool(max(map(abs, kept), default=0) < _DOUBLE_INTS)
    if found <= _FLOAT_OR_NONE:
        return column.digits is None  # any float fits a float column (PostgreSQL's double)
    return False


MAX_CURSOR_LENGTH = 65536
"""Longest cursor ``seek`` decodes (a bound on the work a tampered one can cause)."""

_INVALID = object()


_TAGS: dict[str, Callable[[str], object]] = {
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "dec": Decimal,
    "uuid": uuid.UUID,
}


_CURSOR_TYPES = (str, int, float, Decimal, dt.date, uuid.UUID)  # bool is an int, datetime a date


def _in_cursors(column: ColumnInfo) -> bool:
    """Whether a cursor can carry *column*'s values (``True`` when its type is unknown)."""
    column_type = column.column.type
    impl = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator's own type
    try:
        python_type = impl.python_type
    except NotImplementedError:
        return True
    if python_type is object:
        return True
    if not isinstance(python_type, type) or issubclass(python_type, enum.Enum):
        return False
    return issubclass(python_type, _CURSOR_TYPES)


def _dump(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _bad("cannot build a cursor", "order_by", f"unsupported value type {type(value)}")


def _load(value: object) -> object:
    """The value a cursor entry stands for, or ``_INVALID`` when no cursor holds it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag in _TAGS and isinstance(text, str):
            try:
                return _TAGS[tag](text)
            except (ValueError, ArithmeticError):  # Decimal's InvalidOperation included
                return _INVALID
    return _INVALID


_CACHE: dict[type[Any], ModelInfo] = {}


def model_info(model: type[Any]) -> ModelInfo:
    """Return the (cached) :class:`ModelInfo` of *model*."""
    info = _CACHE.get(model)
    if info is None:
        info = _CACHE[model] = ModelInfo(model)
    return info
