"""What a mapped database error tells the caller, provoked on the real servers.

``serpens_sqlalchemy._errors`` keeps the driver's first line of a failure (never the
second, where PostgreSQL quotes the values) and picks the serpens error by SQLSTATE or
SQLite error name, then by the exception's type. Each condition here is real:

- a unique violation (psycopg2, asyncpg and its COPY, sqlite3, aiosqlite) is a
  ConflictError naming the constraint or column, never the duplicated value; a stale
  version names the table;
- a missing table is a BackendError on PostgreSQL and SQLite alike, not an outage; a
  trigger's or a column type's refusal is a ValidationError with its reason (and a
  serpens error raised while binding reaches the caller as raised);
- an exhausted pool is BackendTimeoutError.

Connections that fail, freeze or pass their deadline are ``test_error_map_connections.py``'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConflictError,
    FieldError,
    ValidationError,
)
from serpens_contract.repository import ContractBase, Pair, Product, contract_schema
from serpens_sqlalchemy import AsyncRepository, Repository, configure_sqlite
from tests.serpens_sqlalchemy._column_types import Code, Percent
from tests.serpens_sqlalchemy._engines import contract_tables_schema

#: the value written twice: no error message may quote it
SECRET_SKU = "sku-7f3a-private"

#: what each backend's unique-violation error must name, with its error code
NAMED = {
    "postgresql": ("23505", 'unique constraint "contract_products_sku_key"'),
    "sqlite": ("SQLITE_CONSTRAINT_UNIQUE", "contract_products.sku"),
}


def _driver_url(postgres_url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + postgres_url.split("://", 1)[1]


@pytest.fixture(name="schema")
def _schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema holding the contract tables, dropped afterwards."""
    yield from contract_tables_schema(postgres_url)


@pytest.fixture(name="sync_engine", params=["psycopg2", "sqlite"])
def _sync_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """psycopg2 on its own schema, or sqlite3 on a file, with the contract tables."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'errors.db'}")
        configure_sqlite(engine)
        ContractBase.metadata.create_all(engine)
        yield engine
    else:
        schema: str = request.getfixturevalue("schema")
        engine = sa.create_engine(_driver_url(request.getfixturevalue("postgres_url"), "psycopg2"))
        yield engine.execution_options(schema_translate_map={None: schema})
    engine.dispose()


@pytest.fixture(name="async_engine", params=["asyncpg", "aiosqlite"])
async def _async_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """asyncpg on its own schema, or aiosqlite on a file, with the contract tables."""
    if request.param == "aiosqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'errors.db'}")
        configure_sqlite(engine)
        async with engine.begin() as conn:
            await conn.run_sync(ContractBase.metadata.create_all)
        yield engine
    else:
        schema: str = request.getfixturevalue("schema")
        postgres_url: str = request.getfixturevalue("postgres_url")
        engine = create_async_engine(_driver_url(postgres_url, "asyncpg"))
        yield engine.execution_options(schema_translate_map={None: schema})
    await engine.dispose()


def _check_names_the_constraint(error: ConflictError, backend: str) -> None:
    code, named = NAMED[backend]
    text = str(error)
    assert code in text
    assert named in text  # which constraint or column refused the row
    assert SECRET_SKU not in text  # PostgreSQL's DETAIL line quotes it: never kept
    assert SECRET_SKU not in repr(error)


def test_a_unique_violation_names_the_constraint_but_not_the_value(
    sync_engine: sa.Engine,
) -> None:
    """psycopg2 and sqlite3: the ConflictError says which constraint, never the value."""
    with Session(sync_engine) as sess:
        repo = Repository(sess, Product)
        repo.add(Product(sku=SECRET_SKU))
        with pytest.raises(ConflictError) as info:
            repo.add(Product(sku=SECRET_SKU))
    _check_names_the_constraint(info.value, sync_engine.dialect.name)


async def test_a_unique_violation_names_the_constraint_but_not_the_value_async(
    async_engine: AsyncEngine,
) -> None:
    """asyncpg and aiosqlite: the same ConflictError as their sync twins."""
    async with AsyncSession(async_engine) as sess:
        repo = AsyncRepository(sess, Product)
        await repo.add(Product(sku=SECRET_SKU))
        with pytest.raises(ConflictError) as info:
            await repo.add(Product(sku=SECRET_SKU))
    _check_names_the_constraint(info.value, async_engine.dialect.name)


async def test_a_unique_violation_in_asyncpg_copy_names_the_constraint(
    postgres_url: str, schema: str
) -> None:
    """asyncpg's COPY raises the driver's own error (no SQLAlchemy wrapper): the same detail.

    ``Pair`` has no Python-side default, so ``bulk_insert`` goes through COPY.
    """
    engine = create_async_engine(_driver_url(postgres_url, "asyncpg"))
    try:
        async with AsyncSession(
            engine.execution_options(schema_translate_map={None: schema})
        ) as sess:
            repo = AsyncRepository(sess, Pair)
            rows = [{"left": SECRET_SKU, "right": str(i), "code": str(i)} for i in range(3)]
            assert await repo.bulk_insert(rows) == len(rows)
            with pytest.raises(ConflictError) as info:
                await repo.bulk_insert(rows[1:])
        text = str(info.value)
        assert "23505" in text
        assert 'unique constraint "contract_pairs_pkey"' in text
        assert SECRET_SKU not in text
    finally:
        await engine.dispose()


def test_an_exhausted_pool_is_a_timeout(postgres_url: str, schema: str) -> None:
    """Every pooled connection busy past ``pool_timeout``: BackendTimeoutError, not a crash.

    SQLAlchemy raises its own ``TimeoutError`` (no driver error behind it); a caller
    retries later, as after any timeout.
    """
    engine = sa.create_engine(
        _driver_url(postgres_url, "psycopg2"), pool_size=1, max_overflow=0, pool_timeout=0.2
    )
    engine = engine.execution_options(schema_translate_map={None: schema})
    try:
        with Session(engine) as holder, Session(engine) as waiter:
            assert Repository(holder, Product).count() == 0  # holds the only connection
            with pytest.raises(BackendTimeoutError) as info:
                Repository(waiter, Product).count()
            assert "QueuePool limit of size 1" in str(info.value)  # which limit was hit
    finally:
        engine.dispose()


def test_a_stale_version_is_a_conflict_naming_the_table(postgres_url: str, schema: str) -> None:
    """Optimistic locking on psycopg2: a write over a version another unit of work moved on.

    ``StaleDataError`` names no SQLSTATE; the ConflictError keeps SQLAlchemy's account
    of which table's row had moved on. (On SQLite the reader's lock blocks the other
    commit first.)
    """
    engine = sa.create_engine(_driver_url(postgres_url, "psycopg2"))
    translated = engine.execution_options(schema_translate_map={None: schema})
    try:
        with Session(translated) as setup:
            product_id = Repository(setup, Product).add(Product(sku="stale", price=1)).id
            setup.commit()
        with Session(translated) as first, Session(translated) as second:
            mine = Repository(first, Product).get_or_raise(product_id)
            theirs = Repository(second, Product).get_or_raise(product_id)
            theirs.price = 2
            second.commit()  # version 2
            mine.price = 3  # still at version 1
            with pytest.raises(ConflictError) as info:
                Repository(first, Product).flush()
        assert "contract_products" in str(info.value)
    finally:
        engine.dispose()


#: what each backend's missing-table error must name, with its error code
MISSING = {
    "postgresql": ("42P01", "contract_products"),
    "sqlite": ("SQLITE_ERROR", "contract_products"),
}


@pytest.fixture(name="bare_sync_engine", params=["psycopg2", "sqlite"])
def _bare_sync_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """psycopg2 on a schema with no tables, or sqlite3 on an empty file."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        configure_sqlite(engine)
        yield engine
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        engine = sa.create_engine(_driver_url(postgres_url, "psycopg2"))
        schema = contract_schema()
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield engine.execution_options(schema_translate_map={None: schema})
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def test_a_missing_table_is_a_backend_error_not_an_outage(bare_sync_engine: sa.Engine) -> None:
    """A table that is not there: BackendError naming it, on PostgreSQL and SQLite alike.

    Not BackendUnavailableError nor BackendTimeoutError: the database answered, and a
    retry would fail the same way (the schema is missing a migration).
    """
    code, table = MISSING[bare_sync_engine.dialect.name]
    with Session(bare_sync_engine) as sess, pytest.raises(BackendError) as info:
        Repository(sess, Product).count()
    assert not isinstance(info.value, BackendUnavailableError | BackendTimeoutError)
    assert code in str(info.value)
    assert table in str(info.value)


class _GuardedBase(DeclarativeBase):
    pass


class Guarded(_GuardedBase):
    """A table whose trigger refuses a negative quantity (a rule no type or CHECK states)."""

    __tablename__ = "error_map_guarded"
    id: Mapped[int] = mapped_column(primary_key=True)
    qty: Mapped[int]


sa.event.listen(
    Guarded.__table__,
    "after_create",
    sa.DDL(  # type: ignore[no-untyped-call]
        "CREATE TRIGGER error_map_guarded_qty BEFORE INSERT ON error_map_guarded "
        "WHEN NEW.qty < 0 BEGIN SELECT RAISE(ABORT, 'qty must not be negative'); END"
    ),
)


def test_a_trigger_refusing_a_row_is_a_validation_error_with_its_reason(tmp_path: Path) -> None:
    """SQLite's ``SQLITE_CONSTRAINT_TRIGGER`` (no table entry): an IntegrityError is bad input.

    The error keeps the trigger's own message, the only place the rule is stated.
    """
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'guarded.db'}")
    configure_sqlite(engine)
    _GuardedBase.metadata.create_all(engine)
    try:
        with Session(engine) as sess, pytest.raises(ValidationError) as info:
            Repository(sess, Guarded).add(Guarded(id=1, qty=-1))
        assert "qty must not be negative" in str(info.value)
    finally:
        engine.dispose()


class Typed(_GuardedBase):
    """A model of the caller's own column types, which the repository cannot check first."""

    __tablename__ = "error_map_typed"
    id: Mapped[int] = mapped_column(primary_key=True)
    share: Mapped[int | None] = mapped_column(Percent)
    code: Mapped[str | None] = mapped_column(Code)


def test_a_column_types_own_refusal_is_a_validation_error_as_raised(tmp_path: Path) -> None:
    """Binding fails in the caller's types: their ValidationError as raised, a ValueError mapped.

    A serpens error raised while binding reaches the caller as it was (its field errors
    intact); a plain ``ValueError`` becomes a ValidationError keeping its reason.
    """
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'typed.db'}")
    configure_sqlite(engine)
    _GuardedBase.metadata.create_all(engine)
    try:
        with Session(engine) as sess, pytest.raises(ValidationError) as info:
            Repository(sess, Typed).add(Typed(id=1, share=150))
        assert info.value.errors == [FieldError("share", "too large")]
        with Session(engine) as sess, pytest.raises(ValidationError) as plain:
            Repository(sess, Typed).add(Typed(id=2, code="abc"))
        assert "a code is upper-case letters" in str(plain.value)
    finally:
        engine.dispose()
