"""Driver errors become the same serpens errors on psycopg2 and asyncpg (real servers)."""

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConflictError,
    ValidationError,
)
from serpens_contract.repository import Pair, Product
from serpens_sqlalchemy import AsyncRepository, Repository, sqlstate_error
from tests.serpens_sqlalchemy._engines import contract_tables_schema

pytestmark = pytest.mark.postgres


def _url(postgres_url: str, driver: str) -> str:
    return "postgresql+" + driver + "://" + postgres_url.split("://", 1)[1]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("23505", ConflictError),
        ("23P01", ConflictError),
        ("23503", ConflictError),
        ("40P01", ConflictError),
        ("40001", ConflictError),
        ("23502", ValidationError),
        ("23514", ValidationError),
        ("22001", ValidationError),
        ("22P02", ValidationError),
        ("57014", BackendTimeoutError),
        ("55P03", BackendTimeoutError),
        ("25P03", BackendTimeoutError),
        ("08006", BackendUnavailableError),
        ("08001", BackendUnavailableError),
        ("28P01", BackendUnavailableError),
        ("3D000", BackendUnavailableError),
        ("57P01", BackendUnavailableError),
        ("57P02", BackendUnavailableError),
        ("57P03", BackendUnavailableError),
        ("53300", BackendUnavailableError),
        ("SQLITE_CONSTRAINT_UNIQUE", ConflictError),
        ("SQLITE_CONSTRAINT_PRIMARYKEY", ConflictError),
        ("SQLITE_CONSTRAINT_FOREIGNKEY", ConflictError),
        ("SQLITE_CONSTRAINT_NOTNULL", ValidationError),
        ("SQLITE_CONSTRAINT_CHECK", ValidationError),
        ("SQLITE_BUSY", BackendTimeoutError),
        ("SQLITE_LOCKED", BackendTimeoutError),
        ("SQLITE_CANTOPEN", BackendUnavailableError),
        ("SQLITE_ERROR", BackendError),
        # a SQLSTATE class maps by its first two characters only, never by a longer prefix
        ("23000", None),
        ("53000", None),
        ("42P01", None),
        ("", None),
        (None, None),
    ],
)
def test_sqlstates_map_to_serpens_errors(code: str | None, error: type | None) -> None:
    assert sqlstate_error(code) is error


@pytest.fixture(name="schema")
def _schema(postgres_url: str) -> Iterator[str]:
    yield from contract_tables_schema(postgres_url)


def _hold_table_lock(
    postgres_url: str, schema: str, locked: threading.Event, done: threading.Event
) -> None:
    engine = sa.create_engine(_url(postgres_url, "psycopg2"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'LOCK TABLE "{schema}".contract_products IN ACCESS EXCLUSIVE MODE')
        locked.set()
        done.wait(10)
    engine.dispose()


@pytest.fixture(name="table_lock")
def _table_lock(postgres_url: str, schema: str) -> Iterator[None]:
    locked, done = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_table_lock, args=(postgres_url, schema, locked, done))
    holder.start()
    assert locked.wait(10)
    yield
    done.set()
    holder.join()


def test_statement_timeout_is_a_timeout_on_psycopg2(
    postgres_url: str, schema: str, table_lock: None
) -> None:
    engine = sa.create_engine(_url(postgres_url, "psycopg2"))
    engine = engine.execution_options(schema_translate_map={None: schema})
    with Session(engine) as sess:
        sess.execute(sa.text("SET LOCAL statement_timeout = 100"))
        with pytest.raises(BackendTimeoutError, match="57014"):
            Repository(sess, Product).count()
    engine.dispose()


async def test_statement_timeout_is_a_timeout_on_asyncpg(
    postgres_url: str, schema: str, table_lock: None
) -> None:
    engine = create_async_engine(_url(postgres_url, "asyncpg"))
    engine = engine.execution_options(schema_translate_map={None: schema})
    async with AsyncSession(engine) as sess:
        await sess.execute(sa.text("SET LOCAL statement_timeout = 100"))
        with pytest.raises(BackendTimeoutError, match="57014"):
            await AsyncRepository(sess, Product).count()
    await engine.dispose()


def test_an_unreachable_server_is_unavailable_without_the_password() -> None:
    engine = sa.create_engine(
        "postgresql+psycopg2://app:s3cret-pw@127.0.0.1:1/app", connect_args={"connect_timeout": 2}
    )
    with Session(engine) as sess, pytest.raises(BackendUnavailableError) as info:
        Repository(sess, Product).get(1)
    assert "s3cret-pw" not in str(info.value)
    assert "s3cret-pw" not in repr(info.value)
    engine.dispose()


async def test_an_unreachable_server_is_unavailable_on_asyncpg_too() -> None:
    engine = create_async_engine(
        "postgresql+asyncpg://app:s3cret-pw@127.0.0.1:1/app", connect_args={"timeout": 2}
    )
    async with AsyncSession(engine) as sess:
        with pytest.raises(BackendUnavailableError) as info:
            await AsyncRepository(sess, Product).get(1)
    assert "s3cret-pw" not in str(info.value)
    await engine.dispose()


async def test_a_unique_violation_is_a_conflict_on_asyncpg_copy(
    postgres_url: str, schema: str
) -> None:
    engine = create_async_engine(_url(postgres_url, "asyncpg"))
    engine = engine.execution_options(schema_translate_map={None: schema})
    async with AsyncSession(engine) as sess:
        repo = AsyncRepository(sess, Product)
        assert await repo.bulk_insert([{"sku": "a"}, {"sku": "b"}]) == 2
        with pytest.raises(ConflictError, match="23505"):
            await repo.bulk_insert([{"sku": "c"}, {"sku": "a"}])
        assert await repo.count() == 2  # the savepoint kept the first batch
    await engine.dispose()


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([{"left": "a", "right": "b", "code": "c"}], id="several-columns"),
        pytest.param([{"left": "a"}], id="one-column"),
    ],
)
async def test_copy_of_plain_values_stores_exactly_the_given_columns(
    postgres_url: str, schema: str, rows: list[dict[str, str]]
) -> None:
    """COPY's fast record building (no defaults to fill, no bind processing) on asyncpg."""
    engine = create_async_engine(_url(postgres_url, "asyncpg"))
    try:
        async with AsyncSession(
            engine.execution_options(schema_translate_map={None: schema})
        ) as sess:
            repo = AsyncRepository(sess, Pair)
            if len(rows[0]) == 1:  # one column: NOT NULL right/code reject it, by SQLSTATE
                with pytest.raises(ValidationError, match="23502"):
                    await repo.bulk_insert(rows)
                return
            assert await repo.bulk_insert(rows) == 1
            got = await repo.get(("a", "b"))
            assert got is not None
            assert (got.code, got.label) == ("c", None)
    finally:
        await engine.dispose()
