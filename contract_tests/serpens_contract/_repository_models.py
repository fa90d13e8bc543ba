"""Mapped classes the Repository contract runs on.

The suite owns its models (on their own ``MetaData``) so every implementation is tested
on the same tables: an autoincrement key, a unique column, nullable order columns, a
Python default, an ``onupdate`` timestamp, a UTC datetime and a ``version_id_col``; plus
a composite-key model; a model with one column of each other filterable type; one
whose values come from the server's defaults (an identity key, ``now()``); and one with
partial and expression unique indexes and ``CHECK`` constraints; and one with a foreign
key. Strings stay lowercase ASCII so collations cannot reorder them.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

try:
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("sqlalchemy", "postgres") from exc

from serpens_sqlalchemy import UTCDateTime

__all__ = [
    "Account",
    "Amount",
    "Code",
    "Color",
    "ContractBase",
    "Kind",
    "Pair",
    "Product",
    "Review",
    "Shelf",
    "Stamp",
    "Tone",
    "Units",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ContractBase(DeclarativeBase):
    """Declarative base of the contract's tables (its own ``MetaData``)."""


class Product(ContractBase):
    """The main contract model."""

    __tablename__ = "contract_products"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(40))
    price: Mapped[int | None] = mapped_column(sa.Integer)
    stock: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, onupdate=_now)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own API


class Pair(ContractBase):
    """A composite primary key and a composite unique constraint."""

    __tablename__ = "contract_pairs"
    __table_args__ = (sa.UniqueConstraint("code", "label"),)

    left: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    right: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    label: Mapped[str | None] = mapped_column(sa.String(20))


class Color(enum.Enum):
    """The Python enum behind :attr:`Kind.color` (stored by member name)."""

    RED = "red"
    GREEN = "green"


class Tone(enum.StrEnum):
    """A ``str`` enum behind :attr:`Stamp.tone`: its members are strings, yet no cursor holds them.

    The column stores member names, ordered by name (or by declaration on a native enum),
    while the members compare by value, the other way round here (``"a-light"`` before
    ``"z-dark"``, ``DARK`` before ``LIGHT``): a keyset over them would skip or repeat rows,
    and an order by the column must follow the names.
    """

    LIGHT = "a-light"
    DARK = "z-dark"


class Code(sa.TypeDecorator[str]):
    """A decorated ``String(8)``: its length limit must hold as the bare ``String(8)``'s does.

    A user-defined ``TypeDecorator`` whose value types the repository rules do not know:
    filters on it go unchecked, but the limit of the string it stores is still enforced.
    """

    impl = sa.String(8)
    cache_ok = True


class Units(sa.TypeDecorator[int]):
    """A decorated ``Integer``: its values must stay in ``INTEGER``'s range as the bare one's."""

    impl = sa.Integer
    cache_ok = True


class Amount(sa.TypeDecorator[Decimal]):
    """A decorated ``Numeric(38, 10)``: its precision and scale hold as the bare type's do."""

    impl = sa.Numeric(38, 10)
    cache_ok = True


class Kind(ContractBase):
    """One nullable column of each column type the other models lack.

    Boolean, Date, Float, an ``Enum`` over a Python enum and one over plain strings (both
    stored as ``VARCHAR``), ``Uuid`` as :class:`uuid.UUID` and as ``str``, a decorated
    ``String(8)``, the shortest bounded string (``String(1)``), a ``UTCDateTime`` and a
    ``JSON`` list, a decorated ``Numeric(38, 10)``, a ``SmallInteger``, a ``BigInteger``,
    a decorated ``Integer``, an unbounded ``Text``, a ``DateTime`` and a ``Time`` without
    a time zone, a ``LargeBinary``, a unique ``Numeric(6, 2)`` (a conflict target
    whose keys compare as the column stores them), a unique ``PickleType`` (lists and
    dicts as keys, compared as their pickled bytes) and an ``Interval``: the contract
    pins which filter values each takes, the limits of the bounded strings and numbers,
    and that a mutable value is never shared between units of work.
    """

    __tablename__ = "contract_kinds"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    flag: Mapped[bool | None] = mapped_column(sa.Boolean)
    day: Mapped[dt.date | None] = mapped_column(sa.Date)
    ratio: Mapped[float | None] = mapped_column(sa.Float)  # Numeric: SQLite warns on Decimal
    color: Mapped[Color | None] = mapped_column(sa.Enum(Color, native_enum=False))
    size: Mapped[str | None] = mapped_column(
        sa.Enum("s", "m", "l", native_enum=False, name="contract_size")
    )
    ref: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid(as_uuid=True))
    ref_text: Mapped[str | None] = mapped_column(sa.Uuid(as_uuid=False))
    code: Mapped[str | None] = mapped_column(Code)
    letter: Mapped[str | None] = mapped_column(sa.String(1))
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[list[str] | None] = mapped_column(sa.JSON)
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    small: Mapped[int | None] = mapped_column(sa.SmallInteger)
    big: Mapped[int | None] = mapped_column(sa.BigInteger)
    units: Mapped[int | None] = mapped_column(Units)
    memo: Mapped[str | None] = mapped_column(sa.Text)
    local: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)  # no time zone
    clock: Mapped[dt.time | None] = mapped_column(sa.Time)
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    tally: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2), unique=True)
    shape: Mapped[Any] = mapped_column(sa.PickleType, unique=True, nullable=True)
    span: Mapped[dt.timedelta | None] = mapped_column(sa.Interval)


class Shelf(ContractBase):
    """A unique pair of an ``Enum`` and a ``Numeric(6, 2)``: a composite conflict target.

    Its keys compare as the columns store them, each column on its own: ``"RED"`` is
    ``Color.RED``, ``1.005`` is ``1.01``.
    """

    __tablename__ = "contract_shelves"
    __table_args__ = (sa.UniqueConstraint("color", "width"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    color: Mapped[Color] = mapped_column(
        sa.Enum(Color, native_enum=False, name="contract_shelf_color"), nullable=False
    )
    width: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), nullable=False)


class Stamp(ContractBase):
    """Columns filled by server-side defaults, which every backend (the fake too) applies.

    An ``Identity()`` key, a ``server_default`` of ``func.now()`` and one of the SQL text
    ``CURRENT_TIMESTAMP``, literal server defaults of each common form (a Python string,
    SQL text of a number, a quoted string with a quote in it, ``sa.true()``), next to a
    plain nullable column an insert can leave out; a not-null column of each other
    type a keyset cursor carries (a date, a UUID), and of two types no cursor carries
    (an ``Enum``, a ``LargeBinary``), from Python-side defaults.
    """

    __tablename__ = "contract_stamps"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Identity(), primary_key=True)
    note: Mapped[str | None] = mapped_column(sa.String(20))
    made_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, server_default=sa.func.now(), nullable=False
    )
    seen_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
    )
    state: Mapped[str] = mapped_column(sa.String(10), server_default="new", nullable=False)
    tries: Mapped[int] = mapped_column(sa.Integer, server_default=sa.text("0"), nullable=False)
    owner: Mapped[str] = mapped_column(
        sa.String(10), server_default=sa.text("'o''neil'"), nullable=False
    )
    ratio: Mapped[Decimal] = mapped_column(
        sa.Numeric(6, 2), server_default=sa.text("-1.25"), nullable=False
    )
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true(), nullable=False)
    day: Mapped[dt.date] = mapped_column(sa.Date, default=dt.date(2026, 1, 1), nullable=False)
    ref: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4, nullable=False)
    tone: Mapped[Tone] = mapped_column(
        sa.Enum(Tone, native_enum=False, name="contract_stamp_tone"),
        default=Tone.LIGHT,
        nullable=False,
    )
    blob: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"", nullable=False)


class Account(ContractBase):
    """Unique indexes that are no conflict target, and ``CHECK`` constraints.

    An email is unique among live accounts (a partial index ``WHERE NOT deleted``), a
    handle whatever its case (``lower(handle)``): no ``ON CONFLICT`` may name either. An
    email has three characters or more (a table's check), a handle is never ``admin``.
    """

    __tablename__ = "contract_accounts"
    __table_args__ = (
        sa.CheckConstraint("length(email) > 2", name="contract_accounts_email_length"),
        sa.Index(
            "contract_accounts_live_email",
            "email",
            unique=True,
            postgresql_where=sa.text("NOT deleted"),
            sqlite_where=sa.text("NOT deleted"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    handle: Mapped[str | None] = mapped_column(
        sa.String(40), sa.CheckConstraint("handle <> 'admin'")
    )
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)


sa.Index("contract_accounts_handle", sa.func.lower(Account.handle), unique=True)


class Review(ContractBase):
    """A foreign key to :class:`Product`'s primary key (nullable: a NULL refers to nothing)."""

    __tablename__ = "contract_reviews"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_products.id"))
    stars: Mapped[int] = mapped_column(sa.Integer, default=5, nullable=False)
