"""Partial and expression unique indexes in the fake, as PostgreSQL holds them.

The fake has an in-memory SQLite database evaluate each such index's expressions and
``WHERE`` on every written row (``serpens/fakes/_repository_computed.py``); the contract
suite's ``Account`` model pins the common forms on every backend. These pin what only
PostgreSQL can show: predicates on a datetime and an enum, a SQLAlchemy expression as
the predicate; that an index SQLite cannot evaluate is refused when the repository is
built; and ``lower()`` of non-ASCII text as a C-locale database maps it (the test
harness's clusters use the C locale).
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConfigurationError, ConflictError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for


class _Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    OPEN = "open"
    ARCHIVED = "archived"


class Member(_Base):
    __tablename__ = "fake_computed_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    left_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[Status] = mapped_column(sa.Enum(Status, native_enum=False), default=Status.OPEN)
    team: Mapped[str | None] = mapped_column(sa.String(20))


sa.Index("fake_computed_name", sa.func.lower(Member.name), unique=True)
sa.Index(
    "fake_computed_team_present",
    Member.team,
    unique=True,
    postgresql_where=sa.and_(Member.left_at.is_(None), Member.status != Status.ARCHIVED),
)

LEFT = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


class Slot(_Base):
    """Indexes whose predicates and keys go past text: what SQLite is handed must hold."""

    __tablename__ = "fake_computed_slots"
    __table_args__ = (
        sa.Index("fake_computed_code", "code", unique=True),  # plain: a conflict target
        sa.Index(  # SQLite's spelling only: the fake reads it when PostgreSQL's is absent
            "fake_computed_late", "label", unique=True, sqlite_where=sa.text("due > '2026-06-01'")
        ),
        sa.Index(  # char_length is length() in SQLite: compiled for SQLite, not as written
            "fake_computed_long",
            "amount",
            unique=True,
            postgresql_where=sa.func.char_length(sa.column("code")) > 2,
        ),
        sa.Index(
            "fake_computed_tagged",
            "label",
            unique=True,
            postgresql_where=sa.func.json_array_length(sa.column("tags")) > 1,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10))
    label: Mapped[str | None] = mapped_column(sa.String(10))
    due: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(30, 20))
    tags: Mapped[list[str] | None] = mapped_column(sa.JSON)
    days: Mapped[list[dt.date] | None] = mapped_column(ARRAY(sa.Date))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


class TestComputedUniquesBesidePostgreSQL:
    def test_lower_and_a_predicate_on_a_datetime_and_an_enum(self, engine: sa.Engine) -> None:
        steps: list[Step] = [
            lambda r: r.add(Member(id=1, name="Ann", team="a")).id,
            lambda r: r.add(Member(id=2, name="aNN")).id,
            lambda r: r.add(Member(id=3, name="Bo", team="b")).id,
            lambda r: r.add(Member(id=4, name="Bob")).id,
            lambda r: r.add(Member(id=5, name="c", team="a")).id,  # a present member holds a
            lambda r: r.add(Member(id=6, name="d", team="a", left_at=LEFT)).id,
            lambda r: r.add(Member(id=7, name="e", team="a", status=Status.ARCHIVED)).id,
            lambda r: (
                r.upsert(
                    {"id": 1, "name": "ÉCOLE", "team": "z"},
                    conflict_on=["id"],
                    update_fields=["team"],
                ).id
            ),  # frees a
            lambda r: r.add(Member(id=8, name="f", team="a")).id,
            lambda r: sorted(m.id for m in r.list(team="a")),
        ]
        outcomes = assert_alike(engine, Member, steps)
        assert [fake for fake, _ in outcomes] == [
            1,
            ConflictError,
            3,
            4,
            ConflictError,
            6,
            7,
            1,
            8,
            [6, 7, 8],
        ]


class TestInMemoryComputedUniques:
    def test_an_index_sqlite_cannot_evaluate_is_refused_when_the_repository_is_built(
        self,
    ) -> None:
        class Base(DeclarativeBase):
            pass

        class Tag(Base):
            __tablename__ = "tags"
            __table_args__ = (
                sa.Index("tags_a", "name", unique=True, postgresql_where=sa.text("name ~ '^a'")),
            )
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(sa.String(20))

        hint = "; write SQL SQLite runs too, or give SQLite's spelling in sqlite_where$"
        with pytest.raises(ConfigurationError, match="Tag index tags_a.*" + hint):
            InMemoryRepository(Tag, database=InMemoryDatabase())

    def test_a_conflict_names_the_index_and_the_unit_of_work_stays_usable(self) -> None:
        repo: Any = InMemoryRepository(Member, database=InMemoryDatabase())
        repo.add(Member(id=1, name="Ann"))
        with pytest.raises(ConflictError, match=r"Member index fake_computed_name: \('ANN',\)"):
            repo.add(Member(id=2, name="ANN"))
        repo.add(Member(id=3, name="Bo"))
        repo.commit()
        assert repo.count() == 2

    def test_lower_maps_ascii_letters_only_as_in_the_c_locale(self) -> None:
        repo: Any = InMemoryRepository(Member, database=InMemoryDatabase())
        repo.bulk_add([Member(id=1, name="ÉCOLE"), Member(id=2, name="école")])
        with pytest.raises(ConflictError):
            repo.add(Member(id=3, name="éCOLE"))

    def test_a_unique_index_on_bare_columns_is_a_conflict_target(self) -> None:
        repo: Any = InMemoryRepository(Slot, database=InMemoryDatabase())
        repo.add(Slot(id=1, code="a"))
        kept = repo.upsert(
            {"id": 2, "code": "a", "label": "x"}, conflict_on=["code"], update_fields=["label"]
        )
        assert (kept.id, kept.label) == (1, "x")

    def test_predicates_and_keys_read_each_value_as_the_database_holds_it(self) -> None:
        repo: Any = InMemoryRepository(Slot, database=InMemoryDatabase())
        early, late = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
        repo.bulk_add(
            [Slot(id=1, code="a", label="l", due=early), Slot(id=2, code="b", label="l", due=early)]
        )
        repo.add(Slot(id=3, code="c", label="m", due=late))
        with pytest.raises(ConflictError, match="fake_computed_late"):
            repo.add(Slot(id=4, code="d", label="m", due=late))
        tiny = Decimal("0.00000000000000000001")  # equal as floats, not as numbers
        repo.bulk_add(
            [Slot(id=5, code="eee", amount=1 + tiny), Slot(id=6, code="fff", amount=1 + 2 * tiny)]
        )
        with pytest.raises(ConflictError, match="fake_computed_long"):
            repo.add(Slot(id=7, code="ggg", amount=1 + tiny))
        repo.add(Slot(id=8, code="h", amount=1 + tiny))  # a short code: outside the index
        repo.bulk_add(
            [
                Slot(id=9, code="i", label="t", tags=["x"]),
                Slot(id=10, code="j", label="t", tags=["x"]),
            ]
        )
        repo.add(Slot(id=11, code="k", label="u", tags=["x", "y"]))
        with pytest.raises(ConflictError, match="fake_computed_tagged"):
            repo.add(Slot(id=12, code="k2", label="u", tags=["x", "y"]))
        repo.add(Slot(id=14, code="n", days=[dt.date(2026, 1, 1)]))  # dates as SQLite text
        repo.commit()
        assert repo.count() == 10

    def test_units_of_work_on_other_threads_share_the_index(self) -> None:
        database = InMemoryDatabase()  # its index is built on this thread, used on another
        first: Any = InMemoryRepository(Member, database=database)
        first.add(Member(id=1, name="Ann"))
        first.commit()
        outcome: list[object] = []

        def other() -> None:
            repo: Any = InMemoryRepository(Member, database=database)
            try:
                repo.add(Member(id=2, name="ANN"))
            except ConflictError as exc:
                outcome.append(type(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert outcome == [ConflictError]
