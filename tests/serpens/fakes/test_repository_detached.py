"""An object whose unit of work is gone: its expired columns cannot be loaded.

A ``Session`` garbage-collected without ``close()`` leaves its objects with no session,
so reading a column a rollback expired raises ``DetachedInstanceError``, as after a
close. Checked on a real ``Session`` over SQLite first, then on both fakes, whose loader
callables hold their repository weakly.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm import exc as orm_exc

from serpens.fakes import AsyncInMemoryRepository, InMemoryDatabase, InMemoryRepository
from serpens_contract.repository import Product

_DETACHED = r"^Instance <Product at 0x[0-9a-f]+> is not bound to a Session; attribute refresh"


def _expired_then_dropped_on_a_session() -> Any:
    engine = sa.create_engine("sqlite://")
    Product.metadata.create_all(engine, tables=[Product.__table__])  # type: ignore[list-item]
    with Session(engine) as setup:
        setup.add(Product(sku="a", name="n"))
        setup.commit()
    sess = Session(engine, autoflush=False, expire_on_commit=False)
    (product,) = sess.scalars(sa.select(Product)).all()
    sess.rollback()
    del sess
    gc.collect()
    engine.dispose()
    return product


def test_a_session_dropped_unclosed_leaves_its_expired_objects_detached() -> None:
    product = _expired_then_dropped_on_a_session()
    with pytest.raises(orm_exc.DetachedInstanceError, match=_DETACHED):
        product.name  # noqa: B018


def _seeded() -> InMemoryDatabase:
    db = InMemoryDatabase()
    setup = InMemoryRepository(Product, database=db)
    setup.add(Product(sku="a", name="n"))
    setup.commit()
    return db


def test_a_sync_fake_dropped_unclosed_leaves_its_expired_objects_detached() -> None:
    repo = InMemoryRepository(Product, database=_seeded())
    (product,) = repo.list()
    repo.rollback()
    del repo
    gc.collect()
    with pytest.raises(orm_exc.DetachedInstanceError, match=_DETACHED):
        product.name  # noqa: B018


async def test_an_async_fake_dropped_unclosed_leaves_its_expired_objects_detached() -> None:
    repo = AsyncInMemoryRepository(Product, database=_seeded())
    (product,) = await repo.list()
    await repo.rollback()
    del repo
    gc.collect()
    with pytest.raises(orm_exc.DetachedInstanceError, match=_DETACHED):
        product.name  # noqa: B018


def test_a_sync_fake_loads_an_expired_object_once_for_every_column() -> None:
    """The first read after the rollback loads the row; later commits do not show."""
    db = _seeded()
    repo = InMemoryRepository(Product, database=db)
    (product,) = repo.list()
    repo.rollback()
    assert sa.inspect(product).unloaded >= {"name", "price", "version"}
    assert product.name == "n"  # loads every column at once, as a Session's refresh
    assert not sa.inspect(product).unloaded
    theirs = InMemoryRepository(Product, database=db)
    theirs.upsert({"sku": "a", "name": "theirs"}, conflict_on=["sku"], update_fields=["name"])
    theirs.commit()
    assert (product.name, product.version) == ("n", 1)
    repo.close()
    assert (product.sku, product.name) == ("a", "n")  # loaded before the close


# -- the same steps on a real Session (SQLite file) and on the sync fake -------------------

Unit = tuple[Any, Any]  # (repository, what commits and rolls it back)


class _Real:
    def __init__(self, path: str) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")
        Product.metadata.create_all(self.engine, tables=[Product.__table__])  # type: ignore[list-item]

    def unit(self) -> Unit:
        from serpens_sqlalchemy import SQLAlchemyRepository  # noqa: PLC0415

        sess = Session(self.engine, autoflush=False, expire_on_commit=False)
        return SQLAlchemyRepository(sess, Product), sess


class _Fake:
    def __init__(self) -> None:
        self.database = InMemoryDatabase()

    def unit(self) -> Unit:
        repo = InMemoryRepository(Product, database=self.database)
        return repo, repo


def _worlds(tmp_path: Any) -> list[Any]:
    return [_Real(str(tmp_path / "real.db")), _Fake()]


def _seed(world: Any, *skus: str) -> None:
    repo, ends = world.unit()
    for sku in skus:
        repo.add(Product(sku=sku, name=f"{sku}-name"))
    ends.commit()
    ends.close()


def _renamed_by_another_unit(world: Any, sku: str, name: str) -> None:
    theirs, ends = world.unit()
    theirs.upsert({"sku": sku, "name": name}, conflict_on=["sku"], update_fields=["name"])
    ends.commit()
    ends.close()


def _load_begins_a_transaction(world: Any) -> tuple[str, str]:
    """An attribute read after a rollback loads the row: a statement, which begins one."""
    _seed(world, "a")
    mine, ends = world.unit()
    (product,) = mine.list()
    ends.rollback()
    first = product.name  # loads: the transaction begins
    _renamed_by_another_unit(world, "a", "theirs")
    ends.rollback()  # ends that transaction: expires the product again
    return first, product.name


def _loaded_object_is_not_expired(world: Any) -> tuple[str, str]:
    """Once loaded again by an attribute read, a later read returns it as it is."""
    _seed(world, "a")
    mine, ends = world.unit()
    (product,) = mine.list()
    ident = product.id
    ends.rollback()
    first = product.name  # loaded: no longer expired
    _renamed_by_another_unit(world, "a", "theirs")
    assert mine.get(ident) is product
    return first, product.name


def _rollback_after_an_insert(world: Any) -> tuple[str, int]:
    """Every change of a unit is rolled back, whatever the objects' order in the unit."""
    _seed(world, "a")
    mine, ends = world.unit()
    mine.add(Product(sku="new"))  # inserted here: forgotten by the rollback
    (product,) = mine.list(sku="a")
    product.name = "changed"  # not flushed: the rollback takes it back all the same
    ends.rollback()
    return product.name, mine.count()


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (_load_begins_a_transaction, ("a-name", "theirs")),
        (_loaded_object_is_not_expired, ("a-name", "a-name")),
        (_rollback_after_an_insert, ("a-name", 1)),
    ],
)
def test_a_sync_fake_loads_expired_objects_as_a_session_does(
    steps: Any, expected: tuple[object, object], tmp_path: Any
) -> None:
    real, fake = _worlds(tmp_path)
    assert steps(real) == expected
    assert steps(fake) == expected
    real.engine.dispose()
