"""Bulk writes on psycopg 3, a driver serpens has no fast path for: SQLAlchemy's own path.

docs/database.md sends a service that needs a libpq parameter asyncpg cannot honour to
``postgresql+psycopg://`` (psycopg 3, sync and async). The COPY, unnest and executemany
fast paths are for psycopg2, asyncpg and SQLite only; on any other driver they say so and
``bulk_insert`` and ``upsert_many`` take SQLAlchemy's executemany, so every row is stored
(a fast path that claimed a batch it never sent would lose it) and a duplicate key is a
``ConflictError``. Real PostgreSQL, psycopg 3.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository

pytestmark = pytest.mark.postgres

ROWS: list[dict[str, object]] = [{"sku": f"s{i}", "price": i} for i in range(5)]
# three rows of the five change, two are new
UPSERTS: list[dict[str, object]] = [{"sku": f"s{i}", "price": 10 * i} for i in range(2, 7)]
STORED = [("s0", 0), ("s1", 1), ("s2", 20), ("s3", 30), ("s4", 40), ("s5", 50), ("s6", 60)]


def _model() -> type[Any]:
    """A mapped class on a table of this test's own."""

    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = f"bulk_psycopg3_{uuid.uuid4().hex[:8]}"
        id: Mapped[int] = mapped_column(primary_key=True)
        sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
        price: Mapped[int | None]

    return Item


def _stored(conn: sa.Connection, model: type[Any]) -> list[tuple[object, ...]]:
    table = model.__table__
    query = sa.select(table.c.sku, table.c.price).order_by(table.c.sku)
    return [tuple(row) for row in conn.execute(query)]


@pytest.fixture(name="model")
def _made(postgres_url: str) -> Iterator[type[Any]]:
    model = _model()
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    model.metadata.create_all(engine)
    yield model
    model.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(name="engine")
def _engine(postgres_url: str, model: type[Any]) -> Iterator[sa.Engine]:
    del model  # its table
    engine = sa.create_engine("postgresql+psycopg://" + postgres_url.split("://", 1)[1])
    yield engine
    engine.dispose()


@pytest.fixture(name="async_engine")
async def _async_engine(postgres_url: str, model: type[Any]) -> AsyncIterator[AsyncEngine]:
    del model  # its table
    engine = create_async_engine("postgresql+psycopg://" + postgres_url.split("://", 1)[1])
    yield engine
    await engine.dispose()


def test_bulk_writes_on_psycopg3_store_every_row(engine: sa.Engine, model: type[Any]) -> None:
    assert engine.dialect.driver == "psycopg"
    with Session(engine) as sess:
        repo = SQLAlchemyRepository(sess, model)
        assert repo.bulk_insert(ROWS) == len(ROWS)
        assert repo.upsert_many(UPSERTS, conflict_on=["sku"], update_fields=["price"]) == 5
        sess.commit()
    with Session(engine) as sess, pytest.raises(ConflictError):
        SQLAlchemyRepository(sess, model).bulk_insert([{"sku": "s9"}, {"sku": "s1"}])
    with engine.connect() as conn:
        assert _stored(conn, model) == STORED  # and nothing of the refused batch


async def test_bulk_writes_on_async_psycopg3_store_every_row(
    async_engine: AsyncEngine, model: type[Any]
) -> None:
    assert async_engine.dialect.driver == "psycopg"  # its async dialect, named the same
    async with AsyncSession(async_engine) as sess:
        repo = AsyncSQLAlchemyRepository(sess, model)
        assert await repo.bulk_insert(ROWS) == len(ROWS)
        upserted = await repo.upsert_many(UPSERTS, conflict_on=["sku"], update_fields=["price"])
        assert upserted == 5
        await sess.commit()
    async with AsyncSession(async_engine) as sess:
        with pytest.raises(ConflictError):
            await AsyncSQLAlchemyRepository(sess, model).bulk_insert([{"sku": "s9"}, {"sku": "s1"}])
    async with async_engine.connect() as conn:
        assert await conn.run_sync(_stored, model) == STORED
