"""The async fake's base-class reads of a hierarchy whose subclasses add columns.

An ``AsyncSession`` reading through the base class loads the base's columns only; a
read of an object it expired loads them again around the values set since; a subclass's
mutable column (JSON) is loaded as a copy, so changing the object in place changes no
stored row until a flush writes it. These pin what the async fake does on those paths,
where the contract cases pin the common ones.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm import exc as orm_exc

from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository


class _Base(DeclarativeBase):
    pass


class Shelf(_Base):
    __tablename__ = "fake_unloaded_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(20))

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "shelf"}  # noqa: RUF012


class Rack(Shelf):
    code: Mapped[str | None] = mapped_column(sa.String(10))
    tags: Mapped[list[str] | None] = mapped_column(sa.JSON)

    __mapper_args__ = {"polymorphic_identity": "rack"}  # noqa: RUF012


def _seeded() -> InMemoryDatabase:
    db = InMemoryDatabase()
    seed = InMemoryRepository(Shelf, database=db)
    seed.add(Rack(name="r", code="R1", tags=["a"]))
    seed.commit()
    return db


def _stored(db: InMemoryDatabase) -> tuple[object, ...]:
    (rack,) = InMemoryRepository(Rack, database=db).list()
    return (rack.name, rack.code, rack.tags)


async def test_an_expired_object_read_through_the_base_keeps_what_was_set_since() -> None:
    db = _seeded()
    shelves = AsyncInMemoryRepository(Shelf, database=db)
    (rack,) = await shelves.list()
    rack.name = "changed"  # begins the transaction the rollback ends
    await shelves.rollback()
    rack.code = "R2"  # set while expired: no load needed
    (again,) = await shelves.list()  # reloads it around the value set
    assert again is rack
    assert (rack.name, rack.code) == ("r", "R2")
    with pytest.raises(exc.MissingGreenlet):
        rack.tags  # noqa: B018 - a base-class read leaves the subclass's columns unloaded
    await shelves.commit()
    assert _stored(db) == ("r", "R2", ["a"])


async def test_a_subclass_read_fills_in_a_copy_of_a_mutable_column() -> None:
    db = _seeded()
    shelves = AsyncInMemoryRepository(Shelf, database=db)
    racks = AsyncInMemoryRepository(Rack, session=None, database=db)
    (rack,) = await shelves.list()
    with pytest.raises(exc.MissingGreenlet):
        rack.tags  # noqa: B018
    await racks.list()  # another unit of work: its object is another one
    with pytest.raises(exc.MissingGreenlet):
        rack.tags  # noqa: B018 - still unloaded here
    await shelves.rollback()
    (rack,) = await shelves.list()
    (filled,) = await AsyncInMemoryRepository(Rack, database=db).list()
    assert filled.tags == ["a"]
    filled.tags.append("b")  # in place: no stored row changes before a flush
    assert _stored(db) == ("r", "R1", ["a"])


async def test_a_rollback_after_a_base_read_unloads_every_column_again() -> None:
    db = _seeded()
    shelves = AsyncInMemoryRepository(Shelf, database=db)
    (rack,) = await shelves.list()
    rack.name = "changed"
    await shelves.rollback()
    for key in ("name", "code", "tags"):
        with pytest.raises(exc.MissingGreenlet):
            getattr(rack, key)
    (again,) = await shelves.list()
    assert again.name == "r"
    with pytest.raises(exc.MissingGreenlet):
        again.code  # noqa: B018
    await shelves.close()
    assert rack.name == "r"  # detached as it is: what the list loaded answers
    for key in ("code", "tags"):  # a base-class read left them unloaded: no session now
        with pytest.raises(orm_exc.DetachedInstanceError):
            getattr(rack, key)


class Note(_Base):
    """A single-table hierarchy whose subclass adds no column: every class, one table."""

    __tablename__ = "fake_unloaded_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    meta: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "note"}  # noqa: RUF012


class Memo(Note):
    __mapper_args__ = {"polymorphic_identity": "memo"}  # noqa: RUF012


def test_a_list_stored_through_one_class_is_copied_into_another_class_objects() -> None:
    """Whether loads copy stored values is the table's: one class's write counts for all."""
    db = InMemoryDatabase()
    memos = InMemoryRepository(Memo, database=db)
    memos.add(Memo(meta={"n": 1}))
    memos.commit()
    (note,) = InMemoryRepository(Note, database=db).list()  # another class, its first read
    assert note.meta is not None
    note.meta["n"] = 2  # in place, not flushed: no stored row may change
    (stored,) = InMemoryRepository(Note, database=db).list()
    assert stored.meta == {"n": 1}
