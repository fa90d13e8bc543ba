"""``CHECK`` constraints in the fake, as PostgreSQL holds them.

The fake has an in-memory SQLite database evaluate each constraint's SQL on every
written row (``serpens/fakes/_repository_computed.py``); the contract suite's
``Account`` model pins a table's and a column's constraint on every backend. These pin
what only PostgreSQL can show beside the fake: constraints on a datetime, an enum, a
number, a boolean and two columns at once, a SQLAlchemy expression as the constraint,
an upsert whose proposed row breaks one though it conflicts; and, in memory, which
constraints the fake leaves to the database (a type's own, one declared for
PostgreSQL only) and that one SQLite cannot evaluate is refused when the repository is
built.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConfigurationError, ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for, on_fake


class _Base(DeclarativeBase):
    pass


class Stage(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"


START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Offer(_Base):
    """Constraints past text: each value reaches SQLite as the database holds it."""

    __tablename__ = "fake_checked_offers"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="fake_checked_span"),
        sa.CheckConstraint(
            sa.or_(sa.column("stage") != "LIVE", sa.column("price").is_not(None)),
            name="fake_checked_live_priced",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=START)
    ends_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    stage: Mapped[Stage] = mapped_column(sa.Enum(Stage, native_enum=False), default=Stage.DRAFT)
    price: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(8, 2), sa.CheckConstraint("price > 0.5")
    )
    active: Mapped[bool] = mapped_column(
        sa.Boolean, sa.CheckConstraint("active OR price IS NULL"), default=False
    )


class Coupon(_Base):
    """One discount or the other, and a default for one of them: a proposed row's NULLs."""

    __tablename__ = "fake_checked_coupons"
    __table_args__ = (
        sa.CheckConstraint("percent IS NULL OR amount IS NULL", name="fake_checked_one_off"),
        sa.CheckConstraint("id <> 2", name="fake_checked_not_two"),  # sees generated keys
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    percent: Mapped[int | None] = mapped_column(default=10)
    amount: Mapped[int | None]


COUPON_STEPS: list[Step] = [
    lambda r: r.add(Coupon(code="a")).percent,  # key 1
    lambda r: (  # proposed with key 2, which its check refuses, though it would update
        r.upsert({"code": "a", "amount": None}, conflict_on=["code"], update_fields=[]).id
    ),
    lambda r: (  # proposed: key 3, percent NULL as given (not its default)
        r.upsert(
            {"code": "a", "percent": None, "amount": 5},
            conflict_on=["code"],
            update_fields=["percent", "amount"],
        ).amount
    ),
    lambda r: r.upsert({"code": "a", "amount": 6}, conflict_on=["code"]).amount,  # percent 10
]
COUPON_OUTCOMES = [10, ValidationError, 5, ValidationError]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


LATER = START + dt.timedelta(days=1)


class TestChecksBesidePostgreSQL:
    def test_datetimes_enums_numbers_and_booleans_as_the_database_checks_them(
        self, engine: sa.Engine
    ) -> None:
        steps: list[Step] = [
            lambda r: r.add(Offer(id=1, ends_at=LATER)).id,
            lambda r: r.add(Offer(id=2, ends_at=START)).id,  # not after its start
            lambda r: r.add(Offer(id=3)).id,  # no end: unknown, so it passes
            lambda r: r.add(Offer(id=4, stage=Stage.LIVE)).id,  # live without a price
            lambda r: r.add(Offer(id=5, stage=Stage.LIVE, price=Decimal(2), active=True)).id,
            lambda r: r.add(Offer(id=6, price=Decimal("0.504"), active=True)).id,  # 0.50 stored
            lambda r: r.add(Offer(id=7, price=Decimal("0.505"), active=True)).id,  # 0.51 stored
            lambda r: r.add(Offer(id=8, price=Decimal(1))).id,  # priced but not active
            lambda r: r.bulk_insert([{"id": 9, "ends_at": LATER}, {"id": 10, "ends_at": START}]),
            lambda r: (
                (r.upsert({"id": 5, "stage": Stage.DRAFT}, conflict_on=["id"], update_fields=[])).id
            ),  # a proposed row that passes: the stored row stays as it is
            lambda r: (
                (
                    r.upsert(
                        {"id": 5, "ends_at": START, "price": Decimal(3)},
                        conflict_on=["id"],
                        update_fields=["price"],
                    )
                ).id
            ),  # the proposed row breaks the span, though only the price would change
            lambda r: (
                (
                    r.upsert(
                        {"id": 5, "price": Decimal(4), "active": True},
                        conflict_on=["id"],
                        update_fields=["price"],
                    )
                ).price
            ),
            _unprice,  # live without a price: refused at the flush
            lambda r: sorted(o.id for o in r.list()),
        ]
        outcomes = assert_alike(engine, Offer, steps)
        assert [fake for fake, _ in outcomes] == [
            1,
            ValidationError,
            3,
            ValidationError,
            5,
            ValidationError,
            7,
            ValidationError,
            ValidationError,
            5,
            ValidationError,
            Decimal("4.00"),
            ValidationError,
            [1, 3, 5, 7],
        ]

    def test_an_upsert_s_proposed_row_as_given(self, engine: sa.Engine) -> None:
        outcomes = assert_alike(engine, Coupon, COUPON_STEPS)
        assert [fake for fake, _ in outcomes] == COUPON_OUTCOMES


def _unprice(repo: Any) -> object:
    """Load offer 5, take its price away and flush: a changed object is checked too."""
    offer = repo.get_or_raise(5)
    offer.price = None
    repo.flush()
    return offer.id


class TestInMemoryChecks:
    def test_a_check_sqlite_cannot_evaluate_is_refused_when_the_repository_is_built(
        self,
    ) -> None:
        class Base(DeclarativeBase):
            pass

        class Tag(Base):
            __tablename__ = "tags"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(
                sa.String(20), sa.CheckConstraint("name ~ '^a'", name="tags_a")
            )

        hint = (
            "; write SQL SQLite runs too, or declare it for PostgreSQL only with "
            r'\.ddl_if\(dialect="postgresql"\) and cover it against the database$'
        )
        with pytest.raises(ConfigurationError, match=r"check constraint 'tags_a' of Tag.*" + hint):
            InMemoryRepository(Tag, database=InMemoryDatabase())

    def test_a_type_s_own_and_another_database_s_checks_are_left_to_the_database(
        self,
    ) -> None:
        class Base(DeclarativeBase):
            pass

        class Tag(Base):
            __tablename__ = "tags"
            __table_args__ = (
                sa.CheckConstraint("name ~ '^a'").ddl_if(dialect="postgresql"),
                # SQLAlchemy documents a tuple of dialects; its annotation says one string
                sa.CheckConstraint("name <> 'b'").ddl_if(dialect=("postgresql", "sqlite")),  # type: ignore[arg-type]
            )
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(sa.String(20))
            stage: Mapped[Stage] = mapped_column(
                sa.Enum(Stage, native_enum=False, create_constraint=True), default=Stage.DRAFT
            )

        repo: Any = InMemoryRepository(Tag, database=InMemoryDatabase())
        repo.add(Tag(id=1, name="z"))  # the PostgreSQL-only check is the database's
        with pytest.raises(ValidationError, match="name <> 'b'"):
            repo.add(Tag(id=2, name="b"))  # declared for SQLite too: the fake checks it
        with pytest.raises(ValidationError, match="stage"):
            repo.add(Tag(id=3, name="c", stage="gone"))  # the type refuses it, no CHECK
        assert repo.count() == 1

    def test_a_broken_check_names_it_and_the_unit_of_work_stays_usable(self) -> None:
        repo: Any = InMemoryRepository(Offer, database=InMemoryDatabase())
        with pytest.raises(ValidationError, match="Offer breaks its check constraint 'fake_"):
            repo.add(Offer(id=1, ends_at=START))
        with pytest.raises(ValidationError, match=r"'price > 0\.5'"):
            repo.add(Offer(id=2, price=Decimal("0.1"), active=True))
        repo.add(Offer(id=3, ends_at=LATER))
        repo.commit()
        assert [o.id for o in repo.list()] == [3]

    def test_a_changed_object_is_checked_at_its_flush(self) -> None:
        """Refused by the database in the flush: the unit of work must be rolled back."""
        repo: Any = InMemoryRepository(Offer, database=InMemoryDatabase())
        offer = repo.add(Offer(id=1, stage=Stage.LIVE, price=Decimal(2), active=True))
        repo.commit()
        offer.price = None
        with pytest.raises(ValidationError, match="fake_checked_live_priced"):
            repo.flush()
        with pytest.raises(ConflictError, match="rolled back"):
            repo.get(1)
        repo.rollback()
        assert repo.get_or_raise(1) is offer
        assert offer.price == Decimal(2)
        offer.price = Decimal(3)
        repo.flush()
        assert repo.get_or_raise(1).price == Decimal(3)

    def test_an_upsert_s_proposed_row_as_given(self) -> None:
        """In memory, the steps pinned beside PostgreSQL above (for the mutation run)."""
        assert on_fake(Coupon, COUPON_STEPS) == COUPON_OUTCOMES
