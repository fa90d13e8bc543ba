"""When ``bulk_insert``'s COPY applies, and that it writes what SQLAlchemy would, on both drivers.

Python-side defaults are filled in per row, a column type's own processing (JSON, an
``Enum``) is applied, a value it refuses is named as SQLAlchemy's path names it, a table
in an explicit schema is written there (or where ``schema_translate_map`` sends it), and
what COPY cannot do (a SQL-expression default, rows with no column at all) takes
SQLAlchemy's path; ``upsert_many``'s unnest statement selects that default itself.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import FieldError, ValidationError
from serpens_sqlalchemy import AsyncSQLAlchemyRepository, SQLAlchemyRepository
from serpens_sqlalchemy._repository_bulk import acopy_records, copy_records, execute_many
from tests.serpens_sqlalchemy._column_types import Code

pytestmark = pytest.mark.postgres

SCHEMA = "copy_plans_elsewhere"
TRANSLATED = "copy_plans_translated"  # where a schema_translate_map sends SCHEMA's table
_serial = itertools.count(1)


class _Base(DeclarativeBase):
    pass


class Mood(enum.Enum):
    CALM = "calm"
    GLAD = "glad"


class Filled(_Base):
    """Python-side defaults: a scalar and a callable, filled in per row."""

    __tablename__ = "copy_plans_filled"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(20))
    qty: Mapped[int] = mapped_column(default=7)
    serial: Mapped[int] = mapped_column(default=lambda: next(_serial))


class Processed(_Base):
    """Types whose values SQLAlchemy processes before the driver sees them."""

    __tablename__ = "copy_plans_processed"
    id: Mapped[int] = mapped_column(primary_key=True)
    tags: Mapped[list[str] | None] = mapped_column(sa.JSON)
    mood: Mapped[Mood | None] = mapped_column(sa.Enum(Mood, native_enum=False))


class Elsewhere(_Base):
    """A table in an explicit schema, no ``schema_translate_map``."""

    __tablename__ = "copy_plans_elsewhere"
    __table_args__ = {"schema": SCHEMA}  # noqa: RUF012 - SQLAlchemy's API
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(sa.String(20))


class Stamped(_Base):
    """A SQL-expression default: only the database evaluates it, so COPY does not apply."""

    __tablename__ = "copy_plans_stamped"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(sa.String(20))
    made: Mapped[str] = mapped_column(sa.String(40), default=sa.func.concat("made-", "here"))


class Coded(_Base):
    """A processed column after two plain ones: the refusal names the processed one."""

    __tablename__ = "copy_plans_coded"
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(sa.String(20))
    code: Mapped[str | None] = mapped_column(Code(10))


ROWS: dict[type[_Base], list[dict[str, object]]] = {
    Filled: [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}],
    Processed: [
        {"id": 1, "tags": ["x", "y"], "mood": Mood.GLAD},
        {"id": 2, "tags": None, "mood": "CALM"},  # the member's name stands for it
    ],
    Elsewhere: [{"id": 1, "sku": "a"}, {"id": 2, "sku": None}],
}


def _expected(model: type[_Base], rows: list[tuple[object, ...]]) -> None:
    if model is Filled:
        first = rows[0][3]
        assert rows == [(1, "a", 7, first), (2, "b", 7, first + 1)]  # type: ignore[operator]
    elif model is Processed:
        assert rows == [(1, ["x", "y"], Mood.GLAD), (2, None, Mood.CALM)]
    else:
        assert rows == [(1, "a"), (2, None)]


def _read(conn: sa.Connection, model: type[_Base]) -> list[tuple[object, ...]]:
    table = model.__table__
    return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]


@pytest.fixture(name="sync_engine")
def _sync_engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    _Base.metadata.drop_all(engine)
    _Base.metadata.create_all(engine)
    yield engine
    _Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {TRANSLATED} CASCADE")
    engine.dispose()


@pytest.fixture(name="async_engine")
async def _async_engine(sync_engine: sa.Engine, postgres_url: str) -> AsyncIterator[AsyncEngine]:
    del sync_engine  # the tables
    engine = create_async_engine("postgresql+asyncpg://" + postgres_url.split("://", 1)[1])
    yield engine
    await engine.dispose()


@pytest.mark.parametrize("model", list(ROWS), ids=lambda m: m.__name__)
def test_psycopg2_copies_and_stores_what_sqlalchemy_would(
    sync_engine: sa.Engine, model: type[_Base]
) -> None:
    with sync_engine.begin() as conn:
        assert copy_records(conn, model.__table__, ROWS[model]) is True  # type: ignore[arg-type]
        _expected(model, _read(conn, model))
        conn.rollback()
    with Session(sync_engine) as sess:  # and the repository takes it
        assert SQLAlchemyRepository(sess, model).bulk_insert(ROWS[model]) == 2
        sess.commit()
    with sync_engine.connect() as conn:
        _expected(model, _read(conn, model))


@pytest.mark.parametrize("model", list(ROWS), ids=lambda m: m.__name__)
async def test_asyncpg_copies_and_stores_what_sqlalchemy_would(
    async_engine: AsyncEngine, model: type[_Base]
) -> None:
    async with async_engine.connect() as conn:
        await conn.begin()
        assert await acopy_records(conn, model.__table__, ROWS[model]) is True  # type: ignore[arg-type]
        _expected(model, await conn.run_sync(_read, model))
        await conn.rollback()
    async with AsyncSession(async_engine) as sess:
        assert await AsyncSQLAlchemyRepository(sess, model).bulk_insert(ROWS[model]) == 2
        await sess.commit()
    async with async_engine.connect() as conn:
        _expected(model, await conn.run_sync(_read, model))


def test_what_copy_cannot_do_takes_sqlalchemys_path(sync_engine: sa.Engine) -> None:
    stamped: list[dict[str, object]] = [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}]
    empty: list[dict[str, object]] = [{}, {}]  # every column left to its default
    with sync_engine.begin() as conn:
        assert copy_records(conn, Stamped.__table__, stamped) is False  # type: ignore[arg-type]
        assert copy_records(conn, Elsewhere.__table__, empty) is False  # type: ignore[arg-type]
    with Session(sync_engine) as sess:
        assert SQLAlchemyRepository(sess, Stamped).bulk_insert(stamped) == 2
        assert SQLAlchemyRepository(sess, Elsewhere).bulk_insert(empty) == 2
        sess.commit()
    with sync_engine.connect() as conn:
        assert [r[2] for r in _read(conn, Stamped)] == ["made-here", "made-here"]
        assert [r[1] for r in _read(conn, Elsewhere)] == [None, None]


async def test_what_copy_cannot_do_takes_sqlalchemys_path_on_asyncpg(
    async_engine: AsyncEngine,
) -> None:
    stamped: list[dict[str, object]] = [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}]
    async with async_engine.begin() as conn:
        assert await acopy_records(conn, Stamped.__table__, stamped) is False  # type: ignore[arg-type]
        assert await acopy_records(conn, Elsewhere.__table__, [{}, {}]) is False  # type: ignore[arg-type]


CODED: list[dict[str, object]] = [
    {"id": 1, "sku": "a", "code": "AB"},
    {"id": 2, "sku": "b", "code": "ab"},  # refused by the column type
]
REFUSED = [FieldError("rows[1].code", "a code is upper-case letters")]


def test_a_value_the_column_type_refuses_is_named_on_psycopg2(sync_engine: sa.Engine) -> None:
    with Session(sync_engine) as sess, pytest.raises(ValidationError) as info:
        SQLAlchemyRepository(sess, Coded).bulk_insert(CODED)
    assert str(info.value).startswith("bad value for code")
    assert info.value.errors == REFUSED
    with sync_engine.connect() as conn:
        assert _read(conn, Coded) == []


async def test_a_value_the_column_type_refuses_is_named_on_asyncpg(
    async_engine: AsyncEngine,
) -> None:
    async with AsyncSession(async_engine) as sess:
        with pytest.raises(ValidationError) as info:
            await AsyncSQLAlchemyRepository(sess, Coded).bulk_insert(CODED)
    assert str(info.value).startswith("bad value for code")
    assert info.value.errors == REFUSED


def _translated_table(conn: sa.Connection) -> None:
    """*SCHEMA*'s table made again in *TRANSLATED*, as a schema_translate_map reaches it."""
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {TRANSLATED}")
    Elsewhere.__table__.create(conn.execution_options(schema_translate_map={SCHEMA: TRANSLATED}))


def _rows_in(conn: sa.Connection, schema: str) -> list[tuple[object, ...]]:
    """The rows of *schema*'s copy of the table (plain SQL: no translate map applies)."""
    query = sa.text(f"SELECT id, sku FROM {schema}.copy_plans_elsewhere ORDER BY id")
    return [tuple(row) for row in conn.execute(query)]


def test_psycopg2_copies_into_the_schema_a_translate_map_names(sync_engine: sa.Engine) -> None:
    with sync_engine.begin() as conn:
        _translated_table(conn)
        moved = conn.execution_options(schema_translate_map={SCHEMA: TRANSLATED})
        assert copy_records(moved, Elsewhere.__table__, ROWS[Elsewhere]) is True  # type: ignore[arg-type]
        assert _rows_in(conn, TRANSLATED) == [(1, "a"), (2, None)]
        assert _rows_in(conn, SCHEMA) == []  # nothing in the table the model names


async def test_asyncpg_copies_into_the_schema_a_translate_map_names(
    async_engine: AsyncEngine,
) -> None:
    async with async_engine.begin() as conn:
        await conn.run_sync(_translated_table)
        moved = await conn.execution_options(schema_translate_map={SCHEMA: TRANSLATED})
        assert await acopy_records(moved, Elsewhere.__table__, ROWS[Elsewhere]) is True  # type: ignore[arg-type]
        assert await conn.run_sync(_rows_in, TRANSLATED) == [(1, "a"), (2, None)]
        assert await conn.run_sync(_rows_in, SCHEMA) == []


def test_the_unnest_upsert_selects_a_sql_expression_default(sync_engine: sa.Engine) -> None:
    """psycopg2's ``upsert_many`` is one ``INSERT ... SELECT FROM unnest``: a column left out
    gets its ``default=func...`` there, as a VALUES row would."""
    stamped: list[dict[str, object]] = [{"id": 1, "sku": "a"}, {"id": 2, "sku": "b"}]
    statement = pg_insert(Stamped.__table__)
    upsert = statement.on_conflict_do_update(
        index_elements=["id"], set_={"sku": statement.excluded.sku}
    )
    with sync_engine.begin() as conn:
        assert execute_many(conn, upsert, stamped) is True  # the unnest path took it
        assert [r[2] for r in _read(conn, Stamped)] == ["made-here", "made-here"]
        conn.rollback()
    with Session(sync_engine) as sess:  # and the repository takes it
        repo = SQLAlchemyRepository(sess, Stamped)
        assert repo.upsert_many(stamped, conflict_on=["id"], update_fields=["sku"]) == 2
        sess.commit()
    with sync_engine.connect() as conn:
        assert [r[2] for r in _read(conn, Stamped)] == ["made-here", "made-here"]
