"""Objects a rollback expired, on the async fake: unloaded, as on an ``AsyncSession``.

The contract suite (``_rollback_reads``) pins the reads on every backend; these pin what
the fake does beneath them: the error is SQLAlchemy's own, no other object and no sync
repository is touched, and the fake's own machinery (adds, flushes, upserts, foreign
keys copied along relationships, a failed write's restore, a close) never reads an
unloaded value as ``None``: no NULL is ever written for one.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.orm import exc as orm_exc
from sqlalchemy.util import concurrency

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import (
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryRepository,
    InMemorySession,
)
from serpens_contract._repository_models_hierarchy import Car, Vehicle
from serpens_contract._repository_models_relations import Author, Book, Player, Team
from serpens_contract.repository import Product

COLUMNS = ("id", "sku", "name", "price", "stock", "seen_at", "updated_at", "version")


def _row(obj: Any) -> tuple[object, ...]:
    return tuple(getattr(obj, key) for key in ("sku", "name", "price", "stock", "version"))


async def _seeded(*skus: str) -> tuple[InMemoryDatabase, AsyncInMemoryRepository[Product]]:
    db = InMemoryDatabase()
    seed = InMemoryRepository(Product, database=db)
    seed.bulk_add([Product(sku=sku, name=f"{sku}-name", price=10, stock=3) for sku in skus])
    seed.commit()
    return db, AsyncInMemoryRepository(Product, database=db)


def _stored(db: InMemoryDatabase) -> list[tuple[object, ...]]:
    return [_row(p) for p in InMemoryRepository(Product, database=db).list(order_by="sku")]


def _sqlalchemy_message() -> str:
    pending = asyncio_nothing()
    try:
        concurrency.await_only(pending)
    except exc.MissingGreenlet as error:
        return str(error)
    finally:
        pending.close()
    raise AssertionError("await_only ran outside a greenlet")


async def asyncio_nothing() -> None:
    """A coroutine SQLAlchemy refuses to await outside a greenlet."""


async def test_every_column_raises_sqlalchemys_missing_greenlet_until_read_again() -> None:
    db, repo = await _seeded("a", "b")
    a, b = await repo.list(order_by="sku")
    b_id = b.id
    a.name = "changed"
    await repo.flush()
    await repo.rollback()
    for obj in (a, b):
        for key in COLUMNS:
            with pytest.raises(exc.MissingGreenlet) as caught:
                getattr(obj, key)
            assert str(caught.value) == _sqlalchemy_message()
    assert sa.inspect(b).unloaded >= set(COLUMNS)
    assert await repo.get_by(sku="a") is a  # loaded again: a only
    assert _row(a) == ("a", "a-name", 10, 3, 1)
    assert not sa.inspect(a).unloaded
    with pytest.raises(exc.MissingGreenlet):
        b.name  # noqa: B018 - the read raises
    assert await repo.get(b_id) is b
    assert _row(b) == ("b", "b-name", 10, 3, 1)
    assert _stored(db) == [("a", "a-name", 10, 3, 1), ("b", "b-name", 10, 3, 1)]


async def test_only_the_async_fake_unloads_and_other_objects_are_untouched() -> None:
    db, repo = await _seeded("a")
    sync = InMemoryRepository(Product, database=db)
    mine, theirs = await repo.get_by(sku="a"), sync.get_by(sku="a")
    await repo.rollback()
    sync.rollback()
    assert _row(theirs) == ("a", "a-name", 10, 3, 1)  # the sync fake answers, as a lazy load
    fresh = Product(sku="new")
    assert fresh.name is None  # a new object's unset attribute: no callable of ours
    with pytest.raises(exc.MissingGreenlet):
        mine.sku  # noqa: B018


async def test_values_set_after_a_rollback_are_written_and_no_null_anywhere() -> None:
    db, repo = await _seeded("a", "b", "c", "d")
    a, b, c, d = await repo.list(order_by="sku")
    c.name = "unflushed"
    await repo.rollback()
    await repo.rollback()  # twice: still expired, nothing lost
    a.price = 5
    assert await repo.add(a) is a  # held: not inserted again
    assert await repo.add(b, flush=False) is b
    assert await repo.bulk_add([b, c]) == [b, c]
    await repo.flush()
    assert _row(a) == ("a", "a-name", 5, 3, 2)  # written, so loaded
    with pytest.raises(exc.MissingGreenlet):
        b.name  # noqa: B018 - neither set nor read again: still unloaded
    await repo.upsert({"sku": "d", "stock": 9}, conflict_on=["sku"], update_fields=["stock"])
    assert _row(d) == ("d", "d-name", 10, 9, 2)  # the upsert loaded it
    await repo.commit()
    assert await repo.count() == 4
    assert _stored(db) == [
        ("a", "a-name", 5, 3, 2),
        ("b", "b-name", 10, 3, 1),
        ("c", "c-name", 10, 3, 1),
        ("d", "d-name", 10, 9, 2),
    ]


async def test_a_refused_flush_of_an_expired_object_writes_nothing() -> None:
    db, repo = await _seeded("a", "b")
    a, b = await repo.list(order_by="sku")
    await repo.rollback()
    b.sku = "a"  # a duplicate: the flush fails and rolls back
    with pytest.raises(ConflictError):
        await repo.flush()
    await repo.rollback()
    a.name = "x" * 41  # over String(40): refused before anything is written
    with pytest.raises(ValidationError):
        await repo.flush()
    a.name = "set"
    await repo.commit()
    assert _stored(db) == [("a", "set", 10, 3, 2), ("b", "b-name", 10, 3, 1)]


async def test_a_close_after_a_rollback_detaches_the_objects_as_they_are() -> None:
    """What was set since stays readable; an expired column raises ``DetachedInstanceError``."""
    db, repo = await _seeded("a", "b")
    a, b = await repo.list(order_by="sku")
    await repo.rollback()
    a.name = "set, not flushed"
    await repo.close()
    assert a.name == "set, not flushed"
    for obj, key in ((a, "price"), (b, "name"), (b, "id")):
        with pytest.raises(orm_exc.DetachedInstanceError, match="is not bound to a Session"):
            getattr(obj, key)
    assert sa.inspect(b).unloaded >= {"name", "price"}
    assert _stored(db) == [("a", "a-name", 10, 3, 1), ("b", "b-name", 10, 3, 1)]


async def test_a_foreign_key_copied_from_an_expired_object_is_its_key() -> None:
    session = InMemorySession()
    authors = AsyncInMemoryRepository(Author, session=session)
    books = AsyncInMemoryRepository(Book, session=session)
    ann = await authors.add(Author(name="ann"))
    await authors.commit()
    key = ann.id
    await books.rollback()  # the session's: ann is expired
    book = await books.add(Book(title="t", author=ann))
    assert book.author_id == key  # the flush loaded ann, as a Session's does
    assert ann.name == "ann"
    await books.commit()
    stored = InMemoryRepository(Book, database=session.database).get(book.id)
    assert stored is not None
    assert stored.author_id == key


async def test_objects_a_relationship_stored_are_unloaded_by_a_rollback_too() -> None:
    session = InMemorySession()
    teams = AsyncInMemoryRepository(Team, session=session)
    team = await teams.add(Team(name="t", players=[Player(name="p")]))
    await teams.commit()
    (player,) = team.players
    assert await teams.get_by(name="t") is team  # a statement: the transaction begins
    await teams.rollback()
    with pytest.raises(exc.MissingGreenlet):
        player.name  # noqa: B018 - held by the session's repository of Player, made by the fake
    with pytest.raises(exc.MissingGreenlet):
        team.name  # noqa: B018


async def test_a_hierarchy_object_is_unloaded_and_loaded_as_its_class() -> None:
    db = InMemoryDatabase()
    vehicles = AsyncInMemoryRepository(Vehicle, database=db)
    cars = AsyncInMemoryRepository(Car, database=db)
    await cars.add(Car(name="c", seats=4))
    await cars.commit()
    (car,) = await vehicles.list()
    await vehicles.rollback()
    with pytest.raises(exc.MissingGreenlet):
        car.name  # noqa: B018
    car.seats = 5
    await vehicles.commit()
    assert (car.name, car.seats) == ("c", 5)
    (stored,) = await AsyncInMemoryRepository(Car, database=db).list()
    assert (stored.name, stored.seats, stored.colour) == ("c", 5, "grey")


async def test_a_rollback_with_no_transaction_in_progress_unloads_nothing() -> None:
    """As a ``Session``'s rollback is a pass-through before its first statement or change."""
    _, repo = await _seeded("a")
    product = await repo.get_by(sku="a")
    await repo.commit()
    assert await repo.get(product.id) is product  # the identity map: no statement
    await repo.rollback()
    assert _row(product) == ("a", "a-name", 10, 3, 1)
    await repo.count()  # a statement: the transaction begins
    await repo.rollback()
    with pytest.raises(exc.MissingGreenlet):
        product.name  # noqa: B018
    await repo.rollback()  # nothing begun since: still unloaded, as a Session leaves it
    with pytest.raises(exc.MissingGreenlet):
        product.name  # noqa: B018
    await repo.close()
    with pytest.raises(orm_exc.DetachedInstanceError):  # detached, still unloaded
        product.name  # noqa: B018


async def test_a_change_in_one_repository_of_a_session_begins_its_transaction() -> None:
    session = InMemorySession()
    authors = AsyncInMemoryRepository(Author, session=session)
    books = AsyncInMemoryRepository(Book, session=session)
    ann = await authors.add(Author(name="ann"))
    book = await books.add(Book(title="t"))
    await books.commit()
    ann.name = "changed"  # on the Author repository's object: the session's transaction
    await books.rollback()
    for obj, key in ((ann, "name"), (book, "title")):
        with pytest.raises(exc.MissingGreenlet):
            getattr(obj, key)


async def test_a_look_that_may_not_load_answers_nothing_instead_of_raising() -> None:
    _, repo = await _seeded("a")
    product = await repo.get_by(sku="a")
    await repo.rollback()
    state = sa.inspect(product)
    assert state.attrs.name.loaded_value is sa.orm.attributes.NO_VALUE
    assert not state.attrs.name.history.has_changes()
    assert state.attrs.name.history == ((), (), ())
    no_fetch = sa.orm.base.PASSIVE_NO_FETCH  # loader callables may run, but no SQL
    assert sa.orm.attributes.get_history(product, "name", passive=no_fetch) == ((), (), ())
    with pytest.raises(exc.MissingGreenlet):
        product.name  # noqa: B018 - still unloaded


class _Base(DeclarativeBase):
    pass


class Unit(_Base):
    __tablename__ = "fake_unloaded_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(20))

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "unit"}  # noqa: RUF012


class Depot(Unit):
    code: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    size: Mapped[int | None]

    __mapper_args__ = {"polymorphic_identity": "depot"}  # noqa: RUF012


class Crate(_Base):
    """Refers to a subclass's own unique column."""

    __tablename__ = "fake_unloaded_crates"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_code: Mapped[str | None] = mapped_column(sa.ForeignKey("fake_unloaded_units.code"))
    depot: Mapped[Depot | None] = relationship()


async def test_a_base_class_read_leaves_the_subclass_columns_unloaded_and_writes_no_null() -> None:
    db = InMemoryDatabase()
    seed = InMemoryRepository(Unit, database=db)
    seed.add(Depot(name="d", code="D1", size=3))
    seed.commit()
    units = AsyncInMemoryRepository(Unit, database=db)
    (depot,) = await units.list()
    assert (type(depot), depot.name) == (Depot, "d")
    assert sa.inspect(depot).unloaded >= {"code", "size"}
    with pytest.raises(exc.MissingGreenlet):
        depot.code  # noqa: B018
    depot.name = "renamed"
    await units.commit()
    with pytest.raises(exc.MissingGreenlet):
        depot.size  # noqa: B018 - a flush loads nothing it does not write
    (stored,) = InMemoryRepository(Depot, database=db).list()
    assert (stored.name, stored.code, stored.size) == ("renamed", "D1", 3)
    await units.close()
    assert depot.name == "renamed"  # detached as it is: loaded, set
    with pytest.raises(orm_exc.DetachedInstanceError):  # unloaded: no session to load it
        depot.code  # noqa: B018
    sync = InMemoryRepository(Unit, database=db)
    (loaded,) = sync.list()
    assert (loaded.code, loaded.size) == ("D1", 3)  # the sync fake: as a lazy load answers


async def test_a_foreign_key_to_a_subclass_column_a_base_read_left_unloaded_is_its_value() -> None:
    session = InMemorySession()
    seed = InMemoryRepository(Unit, database=session.database)
    seed.add(Depot(name="d", code="D1"))
    seed.commit()
    units = AsyncInMemoryRepository(Unit, session=session)
    crates = AsyncInMemoryRepository(Crate, session=session)
    (depot,) = await units.list()
    crate = await crates.add(Crate(depot=depot))
    assert crate.depot_code == "D1"  # the flush loaded it, as a Session's does
    await crates.commit()
    stored = InMemoryRepository(Crate, database=session.database).get(crate.id)
    assert stored is not None
    assert stored.depot_code == "D1"
