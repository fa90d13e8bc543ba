"""The asyncpg fast path of ``upsert_many``: the driver's executemany, same results.

The contract suite's models take the SQLAlchemy path (Python-side defaults, a
``UTCDateTime`` onupdate, a ``schema_translate_map``); these plain models take the fast
one, on a real PostgreSQL server.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ValidationError
from serpens_sqlalchemy import AsyncRepository
from serpens_sqlalchemy._repository_executemany import _unnest_plan, aexecute_many
from tests.serpens_sqlalchemy._engines import async_engine_with_tables

pytestmark = pytest.mark.postgres


class _Base(DeclarativeBase):
    pass


class Stock(_Base):
    __tablename__ = "fastpath_stock"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[int | None]
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class Exact(_Base):
    __tablename__ = "fastpath_exact"
    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(38, 10))
    span: Mapped[timedelta]


class Defaulted(_Base):
    __tablename__ = "fastpath_defaulted"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
    qty: Mapped[int] = mapped_column(default=7)


@pytest.fixture(name="engine")
async def _engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async for engine in async_engine_with_tables(_Base.metadata, postgres_url=postgres_url):
        yield engine


class TestUpsertManyOnAsyncpg:
    async def test_inserts_updates_and_bumps_the_version(self, engine: AsyncEngine) -> None:
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Stock)
            await repo.bulk_insert([{"sku": "a", "name": "old", "qty": 1}])
            count = await repo.upsert_many(
                [{"sku": "a", "name": "new", "qty": 5}, {"sku": "b", "name": "n", "qty": None}],
                conflict_on=["sku"],
                update_fields=["name"],
            )
            await sess.commit()
        async with AsyncSession(engine) as sess:
            rows = (await sess.execute(sa.select(Stock).order_by(Stock.sku))).scalars().all()
        assert count == 2
        assert [(r.sku, r.name, r.qty, r.version) for r in rows] == [
            ("a", "new", 1, 2),
            ("b", "n", None, 1),
        ]

    async def test_the_driver_path_is_the_one_taken(self, engine: AsyncEngine) -> None:
        stmt = pg_insert(Stock.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku"], set_={"name": stmt.excluded.name, "version": Stock.version + 1}
        )
        rows: list[dict[str, object]] = [{"sku": "x", "name": "n", "qty": 1, "version": 1}]
        async with engine.begin() as conn:
            assert await aexecute_many(conn, stmt, rows) is True
            assert await aexecute_many(conn, stmt, rows) is True
            got = (await conn.execute(sa.select(Stock.version))).scalar_one()
        assert got == 2

    async def test_python_side_defaults_take_the_sqlalchemy_path(self, engine: AsyncEngine) -> None:
        rows: list[dict[str, object]] = [{"sku": "a"}]
        async with engine.begin() as conn:
            assert await aexecute_many(conn, pg_insert(Defaulted.__table__), rows) is False
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Defaulted)
            await repo.upsert_many([{"sku": "a"}, {"sku": "b"}], conflict_on=["sku"])
            assert [d.qty for d in await repo.list()] == [7, 7]

    async def test_a_driver_error_is_a_serpens_error_and_the_session_survives(
        self, engine: AsyncEngine
    ) -> None:
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Stock)
            await repo.bulk_insert([{"sku": "kept", "name": "n", "qty": 1}])
            with pytest.raises(ValidationError, match="23502"):
                await repo.upsert_many(
                    [{"sku": "bad", "name": None, "qty": 1}], conflict_on=["sku"]
                )
            assert await repo.count() == 1  # the savepoint kept the earlier write


class TestCopyOnAsyncpg:
    async def test_values_reach_copy_as_the_driver_takes_them(self, engine: AsyncEngine) -> None:
        """The dialect's own types bind: a generic Numeric would make a float of a Decimal."""
        rows: list[dict[str, object]] = [
            {
                "id": 1,
                "amount": Decimal("1234567890123456789012345678.0123456789"),
                "span": timedelta(days=2, microseconds=1),
            },
            {"id": 2, "amount": Decimal("-0.0000000001"), "span": timedelta(0)},
        ]
        async with AsyncSession(engine) as sess:
            assert await AsyncRepository(sess, Exact).bulk_insert(rows) == 2
            await sess.commit()
        async with engine.connect() as conn:
            got = (await conn.execute(sa.select(Exact.__table__).order_by(Exact.id))).all()
        assert [tuple(row) for row in got] == [tuple(row.values()) for row in rows]


class TestDriverWritesStayInTheTransaction:
    async def test_a_rollback_undoes_every_fast_path_as_the_first_write(
        self, engine: AsyncEngine
    ) -> None:
        writes = {
            "bulk_insert": lambda repo: repo.bulk_insert([{"sku": "a", "name": "n"}]),
            "upsert_many": lambda repo: repo.upsert_many(
                [{"sku": "b", "name": "n", "qty": 1}], conflict_on=["sku"]
            ),
        }
        for write in writes.values():
            async with AsyncSession(engine) as sess:
                await write(AsyncRepository(sess, Stock))
                await sess.rollback()
        async with AsyncSession(engine) as sess:
            assert await AsyncRepository(sess, Stock).count() == 0


class TestUnnest:
    """A batch is one ``INSERT ... SELECT * FROM unnest(...)`` statement on asyncpg."""

    def test_the_statement_takes_one_array_per_column(self) -> None:
        sql = (
            "INSERT INTO t (sku, qty) VALUES ($1::VARCHAR, $2::INTEGER) "
            "ON CONFLICT (sku) DO UPDATE SET version = (t.version + $3::INTEGER)"
        )
        order, keys = ["sku", "qty", "version_1"], ["sku", "qty"]
        rows: list[dict[str, object]] = [{"sku": "a", "qty": 1}, {"sku": "b", "qty": None}]
        plan = _unnest_plan(sql, order, keys, {"version_1": 1}, rows)
        expected = (
            "INSERT INTO t (sku, qty) SELECT * FROM unnest($1::VARCHAR[], $2::INTEGER[]) "
            "ON CONFLICT (sku) DO UPDATE SET version = (t.version + $3::INTEGER)"
        )
        assert plan == (expected, [["a", "b"], [1, None], 1])
        assert _unnest_plan(sql, order, keys, {"version_1": 1}, rows[:1]) is None  # one row
        shaped = "INSERT INTO t (a) VALUES (lower($1::VARCHAR))"
        assert _unnest_plan(shaped, ["a"], ["a"], {}, [{"a": "x"}, {"a": "y"}]) is None

    async def test_a_large_mixed_batch_lands_exactly(self, engine: AsyncEngine) -> None:
        async with AsyncSession(engine) as sess:
            repo = AsyncRepository(sess, Stock)
            await repo.bulk_insert([{"sku": f"s{i}", "name": "old", "qty": i} for i in range(500)])
            rows = [{"sku": f"s{i}", "name": "new", "qty": None} for i in range(250, 1000)]
            assert await repo.upsert_many(rows, conflict_on=["sku"], update_fields=["name"]) == 750
            await sess.commit()
        async with AsyncSession(engine) as sess:
            got = {
                s.sku: (s.name, s.qty, s.version)
                for s in (await sess.execute(sa.select(Stock))).scalars()
            }
        assert len(got) == 1000
        assert got["s0"] == ("old", 0, 1)
        assert got["s300"] == ("new", 300, 2)  # updated: name only, version bumped
        assert got["s900"] == ("new", None, 1)  # inserted
