"""``bulk_insert`` and ``upsert_many`` on the drivers' fast paths store what ``add`` stores.

On SQLite (pysqlite, aiosqlite) both bulk writes hand the driver plain tuples built from
the statement SQLAlchemy compiles; on PostgreSQL ``upsert_many`` of two or more rows is
one ``INSERT ... SELECT * FROM unnest(...)`` (asyncpg: the same plan rewritten; psycopg2:
a statement SQLAlchemy builds). The cases are the shapes those plans must get right
beyond the common one: rows of a single field; rows of no field at all (every column its
default: this one raised ``TypeError`` on SQLite); a left-out column's SQL-expression
default (psycopg2's ``unnest`` stored ``NULL`` instead); an ``onupdate`` rendered as a
literal; each value type through the array casts; one statement per batch. Each runs on
SQLite and PostgreSQL where the promise is shared, and agrees with the in-memory fake
where the fake emulates the model.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import InMemoryRepository
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from tests.serpens_sqlalchemy._engines import async_engine_with_tables, engine_with_tables


class _Base(DeclarativeBase):
    pass


class Tag(_Base):
    """A table whose bulk rows name one column: the driver gets one-value tuples."""

    __tablename__ = "executemany_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(20), unique=True)


class Ticket(_Base):
    """Every column has a default, the first one a server default (not the row id)."""

    __tablename__ = "executemany_ticket"
    state: Mapped[str] = mapped_column(sa.String(10), server_default="open")
    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str | None] = mapped_column(sa.String(20))


class Slot(_Base):
    """A key filled in by the server: no row id to read back after the INSERT."""

    __tablename__ = "executemany_slot"
    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True, server_default="only")
    note: Mapped[str | None] = mapped_column(sa.String(20))


class Flagged(_Base):
    """An ``onupdate`` SQL expression whose value SQLAlchemy renders into the statement."""

    __tablename__ = "executemany_flagged"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    label: Mapped[str | None] = mapped_column(sa.String(20))
    touched: Mapped[str | None] = mapped_column(
        sa.String(20), onupdate=sa.literal("by sql", literal_execute=True)
    )


class Made(_Base):
    """A client-side SQL-expression default: SQLAlchemy renders it into the INSERT."""

    __tablename__ = "executemany_made"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(10), unique=True)
    made: Mapped[str | None] = mapped_column(sa.String(10), default=sa.text("'made'"))


class Bound(_Base):
    """A client-side default that is a parameter of the statement, the same for every row."""

    __tablename__ = "executemany_bound"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(10), unique=True)
    bound: Mapped[str | None] = mapped_column(sa.String(10), default=sa.literal("bound", sa.String))


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


@pytest.fixture(name="engine", params=["sqlite", "psycopg2"])
def _engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    yield from engine_with_tables(request, tmp_path, _Base.metadata)


@pytest.fixture(name="async_engine", params=["aiosqlite", "asyncpg"])
async def _async_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "aiosqlite":
        tables = async_engine_with_tables(_Base.metadata, sqlite_path=tmp_path / "tables.db")
    else:
        url: str = request.getfixturevalue("postgres_url")
        tables = async_engine_with_tables(_Base.metadata, postgres_url=url)
    async for engine in tables:
        yield engine


def _tags(repo: Any) -> list[str]:
    return [t.name for t in repo.list(order_by="name")]


def _tickets(repo: Any) -> list[tuple[int, str, str | None]]:
    return [(t.id, t.state, t.note) for t in repo.list(order_by="id")]


def _flags(repo: Any) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.label, f.touched) for f in repo.list(order_by="code")]


ONE_FIELD_ROWS: list[dict[str, object]] = [{"name": "a"}, {"name": "b"}, {"name": "c"}]
# names, not ids: PostgreSQL's ON CONFLICT takes a sequence value for a row it skips
ONE_FIELD_STORED = ["a", "b", "c", "d", "e"]


class TestRowsOfOneField:
    """Rows naming a single column: each value is stored, once, in its own row."""

    def test_bulk_insert_and_upsert_many_store_each_value(self, engine: sa.Engine) -> None:
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Tag)
            assert repo.bulk_insert(ONE_FIELD_ROWS) == 3
            assert repo.bulk_insert([{"name": "d"}]) == 1
            more = [{"name": "b"}, {"name": "e"}]
            assert repo.upsert_many(more, conflict_on=["name"]) == 2
            sess.commit()
            assert _tags(repo) == ONE_FIELD_STORED
        fake = InMemoryRepository(Tag)
        fake.bulk_insert(ONE_FIELD_ROWS)
        fake.bulk_insert([{"name": "d"}])
        fake.upsert_many(more, conflict_on=["name"])
        assert _tags(fake) == ONE_FIELD_STORED

    def test_a_duplicate_single_value_is_a_conflict(self, engine: sa.Engine) -> None:
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Tag)
            repo.bulk_insert([{"name": "a"}])
            with pytest.raises(ConflictError):
                repo.bulk_insert([{"name": "b"}, {"name": "a"}])
            assert _tags(repo) == ["a"]  # all or nothing: "b" is not there either

    async def test_async_bulk_insert_and_upsert_many_store_each_value(
        self, async_engine: AsyncEngine
    ) -> None:
        async with AsyncSession(async_engine, autoflush=False, expire_on_commit=False) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Tag)
            assert await repo.bulk_insert(ONE_FIELD_ROWS) == 3
            assert await repo.bulk_insert([{"name": "d"}]) == 1
            more = [{"name": "b"}, {"name": "e"}]
            assert await repo.upsert_many(more, conflict_on=["name"]) == 2
            await sess.commit()
            got = [t.name for t in await repo.list(order_by="name")]
        assert got == ONE_FIELD_STORED


class TestRowsOfNoField:
    """``bulk_insert([{}, ...])``: one row each, every column its default, as the fake does.

    On SQLite the executemany form of such an INSERT names the first column with a
    ``NULL`` value (``INSERT INTO t (state) VALUES (NULL)``), which loses that column's
    server default; every row must take ``DEFAULT VALUES`` instead.
    """

    def test_each_row_takes_every_default(self, engine: sa.Engine) -> None:
        expected = [(1, "open", None), (2, "open", None), (3, "open", None)]
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Ticket)
            assert repo.bulk_insert([{}, {}]) == 2
            assert repo.bulk_insert([{}]) == 1
            sess.commit()
            assert _tickets(repo) == expected
        fake = InMemoryRepository(Ticket)
        fake.bulk_insert([{}, {}])
        fake.bulk_insert([{}])
        assert _tickets(fake) == expected

    def test_a_server_filled_key_is_stored_and_a_second_one_conflicts(
        self, engine: sa.Engine
    ) -> None:
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Slot)
            assert repo.bulk_insert([{}]) == 1
            with pytest.raises(ConflictError):
                repo.bulk_insert([{}])
            sess.commit()
            assert [(s.code, s.note) for s in repo.list()] == [("only", None)]

    async def test_async_each_row_takes_every_default(self, async_engine: AsyncEngine) -> None:
        async with AsyncSession(async_engine, autoflush=False, expire_on_commit=False) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Ticket)
            assert await repo.bulk_insert([{}, {}]) == 2
            assert await repo.bulk_insert([{}]) == 1
            slots = AsyncSQLAlchemyRepository(sess, Slot)
            assert await slots.bulk_insert([{}]) == 1
            await sess.commit()
            got = [(t.id, t.state, t.note) for t in await repo.list(order_by="id")]
            slot = [(s.code, s.note) for s in await slots.list()]
        assert got == [(1, "open", None), (2, "open", None), (3, "open", None)]
        assert slot == [("only", None)]


class TestOnupdateRenderedAsALiteral:
    """``upsert_many`` applies an ``onupdate`` expression to the row it updates, as ``upsert``.

    One row: SQLAlchemy renders a ``literal_execute`` value into the SQL text per
    execution, and refuses it in an executemany (a batch of two or more rows fails on
    every backend, SQLAlchemy's path as the driver's), so the batch must take SQLAlchemy's
    path, not the driver's with the placeholder left in the SQL.
    """

    def test_the_updated_row_takes_it(self, engine: sa.Engine) -> None:
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            repo = SQLAlchemyRepository(sess, Flagged)
            repo.bulk_insert([{"code": "a", "label": "x"}, {"code": "b", "label": "x"}])
            rows = [{"code": "a", "label": "y"}]
            assert repo.upsert_many(rows, conflict_on=["code"], update_fields=["label"]) == 1
            sess.commit()
            assert _flags(repo) == [("a", "y", "by sql"), ("b", "x", None)]
            one = repo.upsert(
                {"code": "b", "label": "w"}, conflict_on=["code"], update_fields=["label"]
            )
            assert (one.label, one.touched) == ("w", "by sql")  # the single write agrees

    async def test_async_the_updated_row_takes_it(self, async_engine: AsyncEngine) -> None:
        async with AsyncSession(async_engine, autoflush=False, expire_on_commit=False) as sess:
            repo = AsyncSQLAlchemyRepository(sess, Flagged)
            await repo.bulk_insert([{"code": "a", "label": "x"}, {"code": "b", "label": "x"}])
            rows = [{"code": "a", "label": "y"}]
            upserted = await repo.upsert_many(rows, conflict_on=["code"], update_fields=["label"])
            await sess.commit()
            got = [(f.code, f.label, f.touched) for f in await repo.list(order_by="code")]
        assert (upserted, got) == (1, [("a", "y", "by sql"), ("b", "x", None)])


MADE_ROWS: list[dict[str, object]] = [{"sku": "a"}, {"sku": "b"}]
MADE_STORED = [("a", "made"), ("b", "made"), ("c", "made")]
BOUND_STORED = [("a", "bound"), ("b", "bound"), ("c", "bound")]


class TestSqlExpressionDefaults:
    """A left-out column's SQL-expression default applies to every row, as on ``add``.

    ``text("'made'")`` is rendered into the INSERT; ``literal("bound")`` is a parameter of
    the statement, the same for every row (on asyncpg one array of it in the ``unnest``).
    On psycopg2 a batch of two or more rows is one ``INSERT ... SELECT ... FROM
    unnest(...)``: the defaults must be selected beside the rows' arrays.
    """

    def test_upsert_many_and_bulk_insert_apply_them(self, engine: sa.Engine) -> None:
        with Session(engine, autoflush=False, expire_on_commit=False) as sess:
            made, bound = SQLAlchemyRepository(sess, Made), SQLAlchemyRepository(sess, Bound)
            for repo in (made, bound):
                assert repo.upsert_many(MADE_ROWS, conflict_on=["sku"]) == 2
                assert repo.bulk_insert([{"sku": "c"}]) == 1
            sess.commit()
            assert [(m.sku, m.made) for m in made.list(order_by="sku")] == MADE_STORED
            assert [(b.sku, b.bound) for b in bound.list(order_by="sku")] == BOUND_STORED

    async def test_async_upsert_many_and_bulk_insert_apply_them(
        self, async_engine: AsyncEngine
    ) -> None:
        async with AsyncSession(async_engine, autoflush=False, expire_on_commit=False) as sess:
            made = AsyncSQLAlchemyRepository(sess, Made)
            bound = AsyncSQLAlchemyRepository(sess, Bound)
            for repo in (made, bound):
                assert await repo.upsert_many(MADE_ROWS, conflict_on=["sku"]) == 2
                assert await repo.bulk_insert([{"sku": "c"}]) == 1
            await sess.commit()
            got_made = [(m.sku, m.made) for m in await made.list(order_by="sku")]
            got_bound = [(b.sku, b.bound) for b in await bound.list(order_by="sku")]
        assert (got_made, got_bound) == (MADE_STORED, BOUND_STORED)


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
