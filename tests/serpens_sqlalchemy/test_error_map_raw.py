"""Errors no SQLAlchemy wrapper carries: asyncpg's own, and the caller's, provoked for real.

``serpens_sqlalchemy._errors`` maps an error SQLAlchemy wrapped by its SQLSTATE, then by
type, down to ``BackendError`` for any other database refusal. asyncpg's COPY
(``bulk_insert``) and ``unnest`` (``upsert_many``) are driver calls beside SQLAlchemy, so
their errors arrive unwrapped. This module pins that:

- a refusal with a SQLSTATE no table maps (a missing table, ``42P01``) is still a
  ``BackendError`` keeping the code and the driver's type and first line, on both driver
  paths, as the same refusal behind SQLAlchemy is (until 2026-12-05 asyncpg's
  ``UndefinedTableError`` escaped the repository as it was);
- an exception that is not the database's (the caller's own, raised in a flush) reaches
  the caller as raised, and so does a cancellation the client-side deadline marked (its
  watchdog marks whatever ends the bounded call, a cancel landing after it fired too).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError
from serpens_contract.repository import ContractBase, Pair, Product, contract_schema
from serpens_sqlalchemy import AsyncRepository, Repository, configure_sqlite
from serpens_sqlalchemy._deadline import TIMED_OUT
from serpens_sqlalchemy._errors import translate_errors

#: rows ``Pair`` takes as they are (no Python-side default): COPY and ``unnest`` apply
ROWS = [{"left": "a", "right": str(i), "code": str(i)} for i in range(3)]


@pytest.fixture(name="empty_schema")
def _empty_schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema with no tables in it, dropped afterwards."""
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    schema = contract_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield schema
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(name="asyncpg_on_empty_schema")
async def _asyncpg_on_empty_schema(
    postgres_url: str, empty_schema: str
) -> AsyncIterator[AsyncEngine]:
    """asyncpg whose search path is the empty schema: no ``schema_translate_map``."""
    engine = create_async_engine(
        "postgresql+asyncpg://" + postgres_url.split("://", 1)[1],
        connect_args={"server_settings": {"search_path": empty_schema}},
    )
    yield engine
    await engine.dispose()


def _check_missing_table(error: BackendError) -> None:
    assert not isinstance(error, BackendUnavailableError | BackendTimeoutError)
    text = str(error)
    # the code, the driver's own error type and its first line, naming the table
    assert text.startswith("[42P01] UndefinedTableError: ")
    assert "contract_pairs" in text


async def test_a_missing_table_under_asyncpg_copy_is_a_backend_error(
    asyncpg_on_empty_schema: AsyncEngine,
) -> None:
    """``bulk_insert`` on asyncpg (COPY): BackendError, as ``count`` there would raise."""
    async with AsyncSession(asyncpg_on_empty_schema) as sess:
        with pytest.raises(BackendError) as info:
            await AsyncRepository(sess, Pair).bulk_insert(ROWS)
    _check_missing_table(info.value)


async def test_a_missing_table_under_asyncpg_unnest_is_a_backend_error(
    asyncpg_on_empty_schema: AsyncEngine,
) -> None:
    """``upsert_many`` on asyncpg (one ``unnest`` statement sent by the driver): the same."""
    async with AsyncSession(asyncpg_on_empty_schema) as sess:
        with pytest.raises(BackendError) as info:
            await AsyncRepository(sess, Pair).upsert_many(ROWS, conflict_on=["left", "right"])
    _check_missing_table(info.value)


class CallersOwnError(Exception):
    """Raised by the caller's own code inside a write: not the database's."""


def _refuse_every_flush(*_: Any) -> None:
    raise CallersOwnError("the caller's listener refused the flush")


def test_the_callers_own_error_in_a_flush_reaches_it_as_raised(tmp_path: Path) -> None:
    """A ``before_flush`` listener's exception: the same object, no serpens error for it."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'own.db'}")
    configure_sqlite(engine)
    ContractBase.metadata.create_all(engine)
    try:
        with Session(engine) as sess:
            sa.event.listen(sess, "before_flush", _refuse_every_flush)
            repo = Repository(sess, Product)
            repo.add(Product(sku="pending"), flush=False)
            with pytest.raises(CallersOwnError) as info:
                repo.flush()
        assert str(info.value) == "the caller's listener refused the flush"
    finally:
        engine.dispose()


async def test_the_callers_own_error_in_an_async_flush_reaches_it_as_raised(
    tmp_path: Path,
) -> None:
    """The same on aiosqlite: the async repository lets it through too."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    configure_sqlite(engine)
    async with engine.begin() as conn:
        await conn.run_sync(ContractBase.metadata.create_all)
    try:
        async with AsyncSession(engine) as sess:
            sa.event.listen(sess.sync_session, "before_flush", _refuse_every_flush)
            repo = AsyncRepository(sess, Product)
            await repo.add(Product(sku="pending"), flush=False)
            with pytest.raises(CallersOwnError):
                await repo.flush()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("stop", [asyncio.CancelledError, KeyboardInterrupt])
def test_a_stop_the_deadline_marked_is_not_turned_into_a_timeout(
    stop: type[BaseException],
) -> None:
    """A cancel or interrupt carrying the deadline's mark still propagates as itself."""
    marked = stop()
    setattr(marked, TIMED_OUT, 0.5)
    with pytest.raises(stop) as info, translate_errors():
        raise marked
    assert info.value is marked


def test_a_driver_refusal_without_an_error_code_is_a_backend_error_with_no_code_label() -> None:
    """A DBAPI error with no code (sqlite3's own check of the bindings) is a BackendError.

    Its message is the driver's type and first line, with no ``[code]`` label: there is no
    code to name, and the label of an error that has one (``[42P01] ...``) must not turn
    into ``[None]`` or anything else for the ones that do not.
    """
    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as conn, pytest.raises(BackendError) as info, translate_errors():
            conn.exec_driver_sql("SELECT ?, ?", (1,))
    finally:
        engine.dispose()
    assert not isinstance(info.value, BackendUnavailableError | BackendTimeoutError)
    assert str(info.value).startswith("ProgrammingError: Incorrect number of bindings")
