"""Mapped classes the Repository contract runs on, and databases that serve them.

The suite owns its models (on their own ``MetaData``) so every implementation is tested
on the same tables: an autoincrement key, a unique column, nullable order columns, a
Python default, an ``onupdate`` timestamp, a UTC datetime and a ``version_id_col``; plus
a composite-key model; a model with one column of each other filterable type; one
whose values come from the server's defaults (an identity key, ``now()``); and one with
a partial and an expression unique index.
Strings stay lowercase ASCII so collations cannot reorder them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

try:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("sqlalchemy", "postgres") from exc

from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository
from serpens.ports import Repository
from serpens_contract.runner import SyncDriver
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository, UTCDateTime

__all__ = [
    "Account",
    "Amount",
    "Code",
    "Color",
    "ContractBase",
    "FakeDatabase",
    "Kind",
    "Pair",
    "Product",
    "RepositoryDatabase",
    "SQLAlchemyDatabase",
    "Shelf",
    "Stamp",
    "Tone",
    "Units",
    "contract_schema",
]

M = TypeVar("M")


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
    """Unique indexes that are no conflict target: a partial one and an expression one.

    An email is unique among live accounts only (the soft-delete pattern: a partial index
    ``WHERE NOT deleted``), a handle whatever its case (``lower(handle)``). An ``ON
    CONFLICT`` naming either column fails on PostgreSQL and SQLite alike.
    """

    __tablename__ = "contract_accounts"
    __table_args__ = (
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
    handle: Mapped[str | None] = mapped_column(sa.String(40))
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)


sa.Index("contract_accounts_handle", sa.func.lower(Account.handle), unique=True)


class RepositoryDatabase(Protocol):
    """One isolated database holding the contract tables, empty when created."""

    def repository(self, model: type[M]) -> Repository[M]:
        """A repository of *model* in a new unit of work (session) on this database."""
        ...

    def commit(self, repository: Repository[Any]) -> None:
        """Commit *repository*'s unit of work so other units of work see its writes."""
        ...

    def rollback(self, repository: Repository[Any]) -> None:
        """Roll back *repository*'s unit of work: its uncommitted writes are discarded."""
        ...

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        """End *repository*'s unit of work without committing (a session's ``close()``)."""
        ...

    def close(self) -> None:
        """End every unit of work opened on this database (uncommitted work is discarded)."""
        ...


class FakeDatabase:
    """:class:`RepositoryDatabase` over the in-memory fake (sync, or async via SyncDriver)."""

    def __init__(
        self,
        runner: asyncio.Runner | None = None,
        factory: Callable[..., Any] | None = None,
    ) -> None:
        self.database = InMemoryDatabase()
        self.runner = runner
        self.factory = factory
        self._opened: list[Any] = []

    def repository(self, model: type[M]) -> Repository[M]:
        if self.runner is None:
            make = self.factory or InMemoryRepository
            repo: Repository[M] = make(model, database=self.database)
            self._opened.append(repo)
            return repo
        make = self.factory or AsyncInMemoryRepository
        target = make(model, database=self.database)
        self._opened.append(target)
        return SyncDriver(target, self.runner)

    def commit(self, repository: Repository[Any]) -> None:
        self._end(repository, "commit")

    def _end(self, repository: Repository[Any], how: str) -> None:
        target: Any = repository.target if isinstance(repository, SyncDriver) else repository
        if self.runner is None:
            getattr(target, how)()
        else:
            self.runner.run(getattr(target, how)())

    def rollback(self, repository: Repository[Any]) -> None:
        self._end(repository, "rollback")

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        self._end(repository, "close")

    def close(self) -> None:
        """Close every unit of work this database opened (uncommitted work is discarded)."""
        for target in self._opened:
            if self.runner is None:
                target.close()
            else:
                self.runner.run(target.close())
        self._opened.clear()


def contract_schema() -> str:
    """A fresh schema name for one isolated contract database."""
    return f"contract_{uuid.uuid4().hex[:12]}"


class SQLAlchemyDatabase:
    """:class:`RepositoryDatabase` over a SQLAlchemy engine, sync or async.

    Sessions follow serpens' defaults (``autoflush=False``, ``expire_on_commit=False``).
    An async engine needs *runner*, the ``asyncio.Runner`` its connections belong to; its
    repositories are driven through :class:`SyncDriver`. :meth:`close` ends every session.
    """

    def __init__(
        self, engine: sa.Engine | AsyncEngine, runner: asyncio.Runner | None = None
    ) -> None:
        self.engine = engine
        self.runner = runner
        self._sessions: list[Session | AsyncSession] = []

    def repository(self, model: type[M]) -> Repository[M]:
        if isinstance(self.engine, AsyncEngine):
            assert self.runner is not None, "an async engine needs its asyncio.Runner"
            sess = AsyncSession(self.engine, autoflush=False, expire_on_commit=False)
            self._sessions.append(sess)
            return SyncDriver(AsyncSQLAlchemyRepository(sess, model), self.runner)
        sync = Session(self.engine, autoflush=False, expire_on_commit=False)
        self._sessions.append(sync)
        return SQLAlchemyRepository(sync, model)

    def _end(self, repository: Repository[Any], how: str) -> None:
        target: Any = repository.target if isinstance(repository, SyncDriver) else repository
        if isinstance(target.sess, AsyncSession):
            assert self.runner is not None
            self.runner.run(getattr(target.sess, how)())
        else:
            getattr(target.sess, how)()

    def commit(self, repository: Repository[Any]) -> None:
        self._end(repository, "commit")

    def rollback(self, repository: Repository[Any]) -> None:
        self._end(repository, "rollback")

    def close_unit_of_work(self, repository: Repository[Any]) -> None:
        self._end(repository, "close")

    def close(self) -> None:
        """Close every session this database opened."""
        for sess in self._sessions:
            if isinstance(sess, AsyncSession):
                assert self.runner is not None
                self.runner.run(sess.close())
            else:
                sess.close()
        self._sessions.clear()
