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
    with pytest.raises(orm_exc.DetachedInstanceError, match="is not bound to a Session"):
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
    with pytest.raises(orm_exc.DetachedInstanceError, match="is not bound to a Session"):
        product.name  # noqa: B018


async def test_an_async_fake_dropped_unclosed_leaves_its_expired_objects_detached() -> None:
    repo = AsyncInMemoryRepository(Product, database=_seeded())
    (product,) = await repo.list()
    await repo.rollback()
    del repo
    gc.collect()
    with pytest.raises(orm_exc.DetachedInstanceError, match="is not bound to a Session"):
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
