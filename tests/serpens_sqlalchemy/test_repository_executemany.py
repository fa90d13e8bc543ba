"""``bulk_insert`` and ``upsert_many`` on the drivers' fast paths store what ``add`` stores.

On SQLite (pysqlite, aiosqlite) both bulk writes hand the driver plain tuples built from
the statement SQLAlchemy compiles; on PostgreSQL ``upsert_many`` of two or more rows is
one ``INSERT ... SELECT * FROM unnest(...)`` (asyncpg: the same plan rewritten; psycopg2:
a statement SQLAlchemy builds). The cases are the shapes those plans must get right
beyond the common one: rows of a single field; rows of no field at all (every column its
default: this one raised ``TypeError`` on SQLite); a left-out column's SQL-expression
default (psycopg2's ``unnest`` stored ``NULL`` instead); an ``onupdate`` rendered as a
literal. Each runs on SQLite and PostgreSQL where the promise is shared, and agrees with
the in-memory fake where the fake emulates the model. Value types through the array casts
and one statement per batch are ``test_repository_unnest.py``'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
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
