"""``upsert_many`` on PostgreSQL: one ``unnest`` statement per batch, every value exact.

A batch of two or more rows reaches PostgreSQL as one array per column (psycopg2: a
statement SQLAlchemy builds; asyncpg: the same plan rewritten), each array cast to its
column's own type. These check what that path must keep beyond the shapes of
``test_repository_executemany.py``: each value type through the casts (a timestamp in
another zone, the first day, microseconds, a UUID, a float's every digit, a scaled
decimal, an empty string), and one INSERT per batch, counted by a ``FOR EACH STATEMENT``
trigger.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from tests.serpens_sqlalchemy._engines import async_engine_with_tables


class _Base(DeclarativeBase):
    pass


class Typed(_Base):
    """A column of each type PostgreSQL's array casts must carry exactly."""

    __tablename__ = "executemany_typed"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    day: Mapped[dt.date | None]
    clock: Mapped[dt.time | None]
    ident: Mapped[uuid.UUID | None]
    ratio: Mapped[float | None]
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3))
    text: Mapped[str | None] = mapped_column(sa.String(5))


class Counted(_Base):
    """A table whose ``FOR EACH STATEMENT`` trigger counts the INSERT statements run on it."""

    __tablename__ = "executemany_counted"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(10), unique=True)
    qty: Mapped[int | None]


ZONE = dt.timezone(dt.timedelta(hours=-3))
TYPED_ROWS: list[dict[str, object]] = [
    {
        "id": 1,
        "at": dt.datetime(2026, 12, 4, 10, 0, 0, 123456, tzinfo=ZONE),
        "day": dt.date(1, 1, 1),
        "clock": dt.time(23, 59, 59, 1),
        "ident": uuid.UUID(int=1),
        "ratio": 0.1 + 0.2,  # 0.30000000000000004: every digit kept
        "amount": Decimal("-123456789.125"),
        "text": "abcde",
    },
    {
        "id": 2,
        "at": None,
        "day": dt.date(2026, 2, 28),
        "clock": None,
        "ident": None,
        "ratio": 0.1,
        "amount": None,
        "text": "",
    },
]


TYPED = _Base.metadata.tables["executemany_typed"]


def _typed(rows: Sequence[Typed]) -> list[dict[str, object]]:
    return [{c.key: getattr(r, c.key) for c in TYPED.columns} for r in rows]


@pytest.fixture(name="pg_engine")
def _pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    _Base.metadata.drop_all(engine, tables=[TYPED])
    _Base.metadata.create_all(engine, tables=[TYPED])
    yield engine
    _Base.metadata.drop_all(engine, tables=[TYPED])
    engine.dispose()


class TestValueTypesOnPostgres:
    """``upsert_many`` stores each value as ``add`` does, whatever the array cast it rides.

    A batch of two or more rows reaches PostgreSQL as one array per column; each array
    is cast to the column's own type (a length or a scale left to the column), never to
    another type that would change the value.
    """

    def test_psycopg2_stores_every_value_as_given(self, pg_engine: sa.Engine) -> None:
        with Session(pg_engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Typed)
            assert repo.upsert_many(TYPED_ROWS, conflict_on=["id"]) == 2
            sess.commit()
            got = _typed(repo.list(order_by="id"))
        assert got == TYPED_ROWS

    async def test_asyncpg_stores_every_value_as_given(self, postgres_url: str) -> None:
        async for engine in async_engine_with_tables(_Base.metadata, postgres_url=postgres_url):
            async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
                repo = AsyncSQLAlchemyRepository(sess, Typed)
                assert await repo.upsert_many(TYPED_ROWS, conflict_on=["id"]) == 2
                await sess.commit()
                got = _typed(await repo.list(order_by="id"))
        assert got == TYPED_ROWS


_COUNT_STATEMENTS = (
    "CREATE TABLE executemany_statements (n integer)",
    (
        "CREATE FUNCTION executemany_count() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO executemany_statements VALUES (1); RETURN NULL; END $$"
    ),
    (
        "CREATE TRIGGER executemany_counting AFTER INSERT ON executemany_counted "
        "FOR EACH STATEMENT EXECUTE FUNCTION executemany_count()"
    ),
)
_DROP_COUNTING = (
    "DROP TABLE IF EXISTS executemany_counted",
    "DROP TABLE IF EXISTS executemany_statements",
    "DROP FUNCTION IF EXISTS executemany_count()",
)


@pytest.fixture(name="counted_url")
def _counted_url(postgres_url: str) -> Iterator[str]:
    """PostgreSQL with ``executemany_counted`` and its statement-counting trigger."""
    rest = postgres_url.split("://", 1)[1]
    admin = sa.create_engine(f"postgresql+psycopg2://{rest}")
    with admin.begin() as conn:
        for sql in _DROP_COUNTING:
            conn.exec_driver_sql(sql)
        _Base.metadata.create_all(conn, tables=[_Base.metadata.tables["executemany_counted"]])
        for sql in _COUNT_STATEMENTS:
            conn.exec_driver_sql(sql)
    yield rest
    with admin.begin() as conn:
        for sql in _DROP_COUNTING:
            conn.exec_driver_sql(sql)
    admin.dispose()


COUNTED_ROWS: list[dict[str, object]] = [{"sku": f"s{i}", "qty": i} for i in range(5)]


class TestOneStatementPerBatchOnPostgres:
    """On PostgreSQL ``upsert_many`` runs one INSERT for the whole batch, not one per row.

    What a ``FOR EACH STATEMENT`` trigger sees (and the reason the batch is one round
    trip): it fires once for the batch, updated and inserted rows together.
    """

    def test_psycopg2(self, counted_url: str) -> None:
        engine = sa.create_engine(f"postgresql+psycopg2://{counted_url}")
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Counted)
            assert repo.upsert_many(COUNTED_ROWS[:2], conflict_on=["sku"]) == 2
            changed = [{**row, "qty": 9} for row in COUNTED_ROWS]
            assert repo.upsert_many(changed, conflict_on=["sku"], update_fields=["qty"]) == 5
            sess.commit()
            statements = sess.scalar(sa.text("SELECT count(*) FROM executemany_statements"))
            assert [c.qty for c in repo.list(order_by="id")] == [9] * 5
        engine.dispose()
        assert statements == 2

    async def test_asyncpg(self, counted_url: str) -> None:
        engine = create_async_engine(f"postgresql+asyncpg://{counted_url}")
        async with AsyncSession(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Counted)
            assert await repo.upsert_many(COUNTED_ROWS[:2], conflict_on=["sku"]) == 2
            changed = [{**row, "qty": 9} for row in COUNTED_ROWS]
            assert await repo.upsert_many(changed, conflict_on=["sku"], update_fields=["qty"]) == 5
            await sess.commit()
            statements = await sess.scalar(sa.text("SELECT count(*) FROM executemany_statements"))
            assert [c.qty for c in await repo.list(order_by="id")] == [9] * 5
        await engine.dispose()
        assert statements == 2
