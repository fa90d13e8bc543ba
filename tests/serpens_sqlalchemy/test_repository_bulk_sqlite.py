"""SQLite's fast path: ``bulk_insert`` and ``upsert_many`` bind plain tuples in ``sqlite3``.

SQLAlchemy's executemany turns every row dict into parameters in Python; the rows here
go to the driver's executemany as tuples, through the connection (its events, its
transaction, its error wrapping), with the same results, on pysqlite and on aiosqlite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from serpens_sqlalchemy._repository_bulk import (
    acopy_records,
    aexecute_many,
    copy_records,
    execute_many,
)


class _Base(DeclarativeBase):
    pass


class Stock(_Base):
    __tablename__ = "stock"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(20))
    qty: Mapped[int | None] = mapped_column(sa.BigInteger)


class Processed(_Base):
    """Types SQLite's dialect binds through a Python processor."""

    __tablename__ = "processed"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime | None]
    ratio: Mapped[float | None]  # to_float: an int becomes 2.0


@pytest.fixture(name="engine")
def _engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    _Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(name="async_engine")
async def _async_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    yield engine
    await engine.dispose()


def _statements(engine: sa.Engine) -> list[tuple[str, bool]]:
    seen: list[tuple[str, bool]] = []

    def record(*args: object) -> None:
        statement, executemany = args[2], args[5]
        seen.append((str(statement), bool(executemany)))

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen


ROWS: list[dict[str, object]] = [
    {"sku": "a", "name": "tab\there", "qty": 1},
    {"sku": "b", "name": None, "qty": None},
    {"sku": "c", "name": "", "qty": -(2**62)},
]


class TestSQLiteFastPath:
    def test_bulk_insert_binds_tuples_and_stores_every_value(self, engine: sa.Engine) -> None:
        seen = _statements(engine)
        with Session(engine) as sess:
            assert SQLAlchemyRepository(sess, Stock).bulk_insert(ROWS) == 3
            sess.commit()
        inserts = [s for s in seen if s[0].startswith("INSERT")]
        assert inserts == [("INSERT INTO stock (sku, name, qty) VALUES (?, ?, ?)", True)]
        with engine.begin() as conn:  # the driver's path, not SQLAlchemy's
            assert copy_records(conn, Stock.__table__, [{**r, "sku": f"x{r['sku']}"} for r in ROWS])
            conn.rollback()
        with Session(engine) as sess:
            got = [
                {"sku": s.sku, "name": s.name, "qty": s.qty}
                for s in SQLAlchemyRepository(sess, Stock).list(order_by="sku")
            ]
        assert got == ROWS

    def test_upsert_many_binds_tuples(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            repo.bulk_insert(ROWS)
            changed = [{**row, "qty": 9} for row in ROWS[:2]] + [{**ROWS[0], "sku": "d"}]
            assert repo.upsert_many(changed, conflict_on=["sku"], update_fields=["qty"]) == 3
            sess.commit()
            assert [(s.sku, s.qty) for s in repo.list(order_by="sku")] == [
                ("a", 9),
                ("b", 9),
                ("c", -(2**62)),
                ("d", 1),
            ]
        stmt = sqlite_insert(Stock.__table__).on_conflict_do_nothing()
        with engine.begin() as conn:
            assert execute_many(conn, stmt, [{"sku": "e", "qty": 1}]) is True

    def test_a_duplicate_key_is_a_conflict_and_the_session_survives(
        self, engine: sa.Engine
    ) -> None:
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Stock)
            repo.bulk_insert(ROWS[:1])
            with pytest.raises(ConflictError):
                repo.bulk_insert([{**ROWS[1], "sku": "z"}, {**ROWS[1], "sku": "a"}])
            assert repo.count() == 1
            sess.commit()
        with Session(engine) as sess:
            assert SQLAlchemyRepository(sess, Stock).count() == 1

    def test_a_rollback_undoes_it_as_the_first_write(self, engine: sa.Engine) -> None:
        with Session(engine) as sess:
            SQLAlchemyRepository(sess, Stock).bulk_insert(ROWS)
            sess.rollback()
        with Session(engine) as sess:
            assert SQLAlchemyRepository(sess, Stock).count() == 0

    @pytest.mark.parametrize(
        ("field", "value", "stored"),
        [("at", dt.datetime(2026, 12, 4, 10, 0, 0, 5), None), ("ratio", 2, 2.0)],  # noqa: DTZ001 - a naive column
    )
    def test_a_type_with_a_python_processor_takes_sqlalchemys_path(
        self, engine: sa.Engine, field: str, value: object, stored: object
    ) -> None:
        rows: list[dict[str, object]] = [{"id": 1, field: value}, {"id": 2, field: None}]
        with engine.begin() as conn:
            assert copy_records(conn, Processed.__table__, rows) is False
        with Session(engine) as sess:
            repo = SQLAlchemyRepository(sess, Processed)
            assert repo.bulk_insert(rows) == 2
            got = [getattr(p, field) for p in repo.list(order_by="id")]
        expected = value if isinstance(value, dt.datetime) else stored
        assert got == [expected, None]
        assert type(got[0]) is type(expected)

    def test_a_schema_translate_map_takes_sqlalchemys_path(self, engine: sa.Engine) -> None:
        translated = engine.execution_options(schema_translate_map={"other": None})
        with translated.begin() as conn:
            assert execute_many(conn, sa.insert(Stock.__table__), ROWS) is False


class TestAiosqliteFastPath:
    async def test_bulk_insert_binds_tuples_and_stores_every_value(
        self, async_engine: AsyncEngine
    ) -> None:
        seen = _statements(async_engine.sync_engine)
        async with AsyncSession(async_engine) as sess:
            assert await AsyncSQLAlchemyRepository(sess, Stock).bulk_insert(ROWS) == 3
            await sess.commit()
        inserts = [s for s in seen if s[0].startswith("INSERT")]
        assert inserts == [("INSERT INTO stock (sku, name, qty) VALUES (?, ?, ?)", True)]
        async with async_engine.begin() as conn:  # the driver's path, not SQLAlchemy's
            shifted = [{**r, "sku": f"x{r['sku']}"} for r in ROWS]
            assert await acopy_records(conn, Stock.__table__, shifted) is True
            await conn.rollback()
        async with AsyncSession(async_engine) as sess:
            got = [
                {"sku": s.sku, "name": s.name, "qty": s.qty}
                for s in await AsyncSQLAlchemyRepository(sess, Stock).list(order_by="sku")
            ]
        assert got == ROWS

    async def test_upsert_many_binds_tuples(self, async_engine: AsyncEngine) -> None:
        seen = _statements(async_engine.sync_engine)
        async with AsyncSession(async_engine) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Stock)
            await repo.bulk_insert(ROWS)
            changed = [{**row, "qty": 9} for row in ROWS[:2]] + [{**ROWS[0], "sku": "d"}]
            assert await repo.upsert_many(changed, conflict_on=["sku"], update_fields=["qty"]) == 3
            await sess.commit()
            assert [(s.sku, s.qty) for s in await repo.list(order_by="sku")] == [
                ("a", 9),
                ("b", 9),
                ("c", -(2**62)),
                ("d", 1),
            ]
        upserts = [s for s in seen if "ON CONFLICT" in s[0]]
        assert [executemany for _, executemany in upserts] == [True]  # one driver executemany
        stmt = sqlite_insert(Stock.__table__).on_conflict_do_nothing()
        async with async_engine.begin() as conn:
            assert await aexecute_many(conn, stmt, [{"sku": "e", "qty": 1}]) is True
            stored = await conn.exec_driver_sql("SELECT qty FROM stock WHERE sku = 'e'")
            assert stored.scalar() == 1

    async def test_a_duplicate_key_is_a_conflict_and_the_session_survives(
        self, async_engine: AsyncEngine
    ) -> None:
        async with AsyncSession(async_engine) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Stock)
            await repo.bulk_insert(ROWS[:1])
            with pytest.raises(ConflictError):
                await repo.bulk_insert([{**ROWS[1], "sku": "z"}, {**ROWS[1], "sku": "a"}])
            assert await repo.count() == 1
            await sess.commit()
        async with AsyncSession(async_engine) as sess:
            assert await AsyncSQLAlchemyRepository(sess, Stock).count() == 1

    async def test_a_type_with_a_python_processor_takes_sqlalchemys_path(
        self, async_engine: AsyncEngine
    ) -> None:
        rows: list[dict[str, object]] = [{"id": 1, "ratio": 2}, {"id": 2, "ratio": None}]
        async with async_engine.begin() as conn:
            assert await acopy_records(conn, Processed.__table__, rows) is False
        async with AsyncSession(async_engine) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Processed)
            assert await repo.bulk_insert(rows) == 2
            got = [p.ratio for p in await repo.list(order_by="id")]
        assert got == [2.0, None]
        assert type(got[0]) is float

    async def test_a_schema_translate_map_takes_sqlalchemys_path(
        self, async_engine: AsyncEngine
    ) -> None:
        translated = async_engine.execution_options(schema_translate_map={"other": None})
        async with translated.begin() as conn:
            assert await aexecute_many(conn, sa.insert(Stock.__table__), ROWS) is False
