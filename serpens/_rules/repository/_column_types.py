"""What a SQLAlchemy column type tells the rules, read once per mapped column.

Each function reads one property off a column type (the Python types it accepts, an
``Enum``'s values, a ``String(n)`` length, a ``Numeric(p, s)`` precision, an integer
bound, whether it reads back ``Decimal`` or ``float``): :class:`~._fields.ModelFields`
stores them in each :class:`~._columns.ColumnInfo`. SQLAlchemy is imported inside each
function, so importing the rules needs no SDK.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any


def _accepted_types(column_type: Any) -> tuple[type, ...] | None:  # noqa: C901, PLR0911, PLR0912 - one per type
    """The Python types equality filters on *column_type* accept, or ``None`` (unchecked)."""
    import sqlalchemy as sa  # noqa: PLC0415

    if isinstance(column_type, sa.Interval):  # a TypeDecorator of SQLAlchemy's own
        return (dt.timedelta,)
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
    if isinstance(column_type, sa.Time):
        return (dt.time,)  # a str: psycopg2 cast it, asyncpg refused it (42883 in a filter)
    if isinstance(column_type, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return (bytes, bytearray, memoryview)  # a str: psycopg2 raised a bare TypeError
    if isinstance(column_type, sa.Uuid):
        # as_uuid=False holds str: SQLite refuses a UUID object there (PostgreSQL takes it)
        return (uuid.UUID,) if column_type.as_uuid else (str,)
    if isinstance(column_type, sa.ARRAY):  # a str: psycopg2 sent it as an array literal
        return (list, tuple)
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
