"""Foreign keys in the fake, as PostgreSQL holds them.

The fake checks each written row's foreign keys against the referenced table
(``serpens/fakes/_repository_references.py``); the contract suite's ``Review`` model pins
a key to a primary key on every backend. These pin, beside PostgreSQL itself, a key to
a unique column, a composite key, a self-reference within one unit of work and a
changed reference at a flush; and, in memory, what the fake decides on its own: a
parent another open unit of work wrote counts (its repositories may share one session
in production), and what it leaves unchecked (``foreign_keys=False``, a deferred key, a
table no class maps).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for, on_fake


class _Base(DeclarativeBase):
    pass


class Shop(_Base):
    __tablename__ = "fake_refs_shops"
    __table_args__ = (sa.UniqueConstraint("region", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    region: Mapped[str] = mapped_column(sa.String(8))
    number: Mapped[int]


class Till(_Base):
    """A key to a primary key, to a unique column, to a composite one, and to itself."""

    __tablename__ = "fake_refs_tills"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["shop_region", "shop_number"],
            ["fake_refs_shops.region", "fake_refs_shops.number"],
            name="fake_refs_till_site",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fake_refs_shops.id"))
    shop_code: Mapped[str | None] = mapped_column(sa.ForeignKey("fake_refs_shops.code"))
    shop_region: Mapped[str | None] = mapped_column(sa.String(8))
    shop_number: Mapped[int | None]
    spare_for: Mapped[int | None] = mapped_column(sa.ForeignKey("fake_refs_tills.id"))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


def _shop(repo: Any) -> object:
    """Store shop 1 (code ``"a"``, region ``"n"``, number 1) beside *repo*'s unit of work."""
    if isinstance(repo, InMemoryRepository):
        shops: Any = InMemoryRepository(Shop, database=repo.database)
        shops.add(Shop(id=1, code="a", region="n", number=1))
        shops.commit()
    else:  # in the same session: committed with the step
        SQLAlchemyRepository(repo.sess, Shop).add(Shop(id=1, code="a", region="n", number=1))
    return 1


def _respare(repo: Any) -> object:
    """Point till 3 at a till that is not there: checked at the flush."""
    till = repo.get_or_raise(3)
    till.spare_for = 99
    repo.flush()
    return till.id


TILL_STEPS: list[Step] = [
    lambda r: r.add(Till(id=1, shop_id=1)).id,  # no shop yet
    lambda r: r.add(Till(id=2)).id,  # NULL keys refer to nothing
    _shop,
    lambda r: r.add(Till(id=3, shop_id=1, shop_code="a")).id,
    lambda r: r.add(Till(id=4, shop_code="b")).id,
    lambda r: r.add(Till(id=5, shop_region="n", shop_number=2)).id,
    lambda r: r.add(Till(id=6, shop_region="n", shop_number=1)).id,
    lambda r: r.add(Till(id=7, shop_region="s")).id,  # MATCH SIMPLE: a NULL passes
    lambda r: r.bulk_add([Till(id=8), Till(id=9, spare_for=8)])[1].id,  # same unit
    lambda r: r.bulk_insert([{"id": 10, "spare_for": 2}, {"id": 11, "spare_for": 12}]),
    lambda r: r.upsert({"id": 3, "shop_id": 2}, conflict_on=["id"], update_fields=["shop_id"]).id,
    _respare,
    lambda r: sorted(t.id for t in r.list()),
]
TILL_OUTCOMES = [
    ConflictError,
    2,
    1,
    3,
    ConflictError,
    ConflictError,
    6,
    7,
    9,
    ConflictError,
    ConflictError,
    ConflictError,
    [2, 3, 6, 7, 8, 9],
]


class TestReferencesBesidePostgreSQL:
    def test_keys_to_primary_unique_and_composite_columns_and_to_itself(
        self, engine: sa.Engine
    ) -> None:
        outcomes = assert_alike(engine, Till, TILL_STEPS)
        assert [fake for fake, _ in outcomes] == TILL_OUTCOMES


class TestInMemoryReferences:
    def test_keys_to_primary_unique_and_composite_columns_and_to_itself(self) -> None:
        """In memory, the steps pinned beside PostgreSQL above (for the mutation run)."""
        assert on_fake(Till, TILL_STEPS) == TILL_OUTCOMES

    def test_a_missing_parent_names_the_key_and_the_unit_of_work_stays_usable(self) -> None:
        repo: Any = InMemoryRepository(Till, database=InMemoryDatabase())
        with pytest.raises(
            ConflictError, match=r"fake_refs_till_site: no Shop with \(region, number\)=\('n', 5\)"
        ):
            repo.add(Till(id=1, shop_region="n", shop_number=5))
        with pytest.raises(
            ConflictError, match=r"Till\(shop_id\) -> Shop: no Shop with \(id\)=\(7,\)"
        ):
            repo.add(Till(id=2, shop_id=7))
        repo.add(Till(id=3))
        repo.commit()
        assert repo.count() == 1

    def test_a_parent_another_open_unit_of_work_wrote_counts(self) -> None:
        """Two repositories on one database may be one session in production: it counts.

        Once that unit of work ends without a commit, its rows count no more.
        """
        database = InMemoryDatabase()
        shops: Any = InMemoryRepository(Shop, database=database)
        tills: Any = InMemoryRepository(Till, database=database)
        shops.add(Shop(id=1, code="a", region="n", number=1))
        tills.add(Till(id=1, shop_id=1, shop_code="a", shop_region="n", shop_number=1))
        shops.rollback()
        with pytest.raises(ConflictError):
            tills.add(Till(id=2, shop_id=1))
        with pytest.raises(ConflictError):
            tills.add(Till(id=3, shop_code="a"))
        orphan = tills.get_or_raise(1)  # written while the shop was there
        orphan.shop_region = orphan.shop_number = None
        tills.flush()  # an unchanged reference is not checked again
        tills.commit()
        assert tills.count() == 1

    def test_what_the_fake_leaves_unchecked(self) -> None:
        class Base(DeclarativeBase):
            pass

        unmapped = sa.Table(
            "fake_refs_plain", Base.metadata, sa.Column("id", sa.Integer, primary_key=True)
        )

        class Note(Base):
            __tablename__ = "fake_refs_notes"
            id: Mapped[int] = mapped_column(primary_key=True)
            plain_id: Mapped[int | None] = mapped_column(sa.ForeignKey(unmapped.c.id))
            later_id: Mapped[int | None] = mapped_column(
                sa.ForeignKey("fake_refs_notes.id", deferrable=True, initially="DEFERRED")
            )
            now_id: Mapped[int | None] = mapped_column(
                sa.ForeignKey("fake_refs_notes.id", deferrable=True, initially="IMMEDIATE")
            )

        repo: Any = InMemoryRepository(Note, database=InMemoryDatabase())
        repo.add(Note(id=1, plain_id=5, later_id=9))  # no class maps it; checked at commit
        with pytest.raises(ConflictError):
            repo.add(Note(id=2, now_id=9))

        legacy = sa.Table(
            "fake_refs_legacy",
            Base.metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("old_code", sa.String(8), unique=True),
        )

        class Legacy(Base):  # a parent column no attribute maps: the fake cannot look
            __table__ = legacy
            __mapper_args__ = {"exclude_properties": ["old_code"]}  # noqa: RUF012

        class Ticket(Base):
            __tablename__ = "fake_refs_tickets"
            id: Mapped[int] = mapped_column(primary_key=True)
            code: Mapped[str | None] = mapped_column(sa.ForeignKey("fake_refs_legacy.old_code"))

        tickets: Any = InMemoryRepository(Ticket, database=InMemoryDatabase())
        tickets.add(Ticket(id=1, code="x"))
        loose: Any = InMemoryRepository(Till, database=InMemoryDatabase(foreign_keys=False))
        loose.add(Till(id=1, shop_id=5, spare_for=9))
        loose.commit()
        assert loose.count() == 1
