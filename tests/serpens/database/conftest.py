"""Fixtures of the database tests: fresh PostgreSQL databases, a clean environment."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from serpens import database
from serpens.database import _sessions

# Every variable serpens.database reads: unset for each test so the machine's env never leaks.
DATABASE_ENV = (
    "DATABASE_URL",
    "APP_NAME",
    "K_SERVICE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_POOL_TIMEOUT",
    "DB_POOL_RECYCLE",
    "DB_STATEMENT_TIMEOUT_MS",
    "DB_LOCK_TIMEOUT_MS",
    "DB_IDLE_IN_TX_TIMEOUT_MS",
    "DB_POOL_USE_LIFO",
    "DB_ECHO",
    "DB_TIMEOUT_MODE",
    "DB_CONNECT_TIMEOUT",
    "DB_SEARCH_PATH",
)


def _admin_engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(
        make_url(url).set(drivername="postgresql+psycopg2"),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
    )


def _fresh_database(postgres_url: str) -> Iterator[str]:
    name = f"serpens_db_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(postgres_url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(name="pg_url", scope="module")
def _pg_url(postgres_url: str) -> Iterator[str]:
    """A database of its own for each test module (``postgresql://`` without a driver)."""
    yield from _fresh_database(postgres_url)


@pytest.fixture(name="fresh_pg_url")
def _fresh_pg_url(postgres_url: str) -> Iterator[str]:
    """A database of its own for one test."""
    yield from _fresh_database(postgres_url)


@pytest.fixture(autouse=True)
async def _clean_database_state(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Unset the database variables, and unbind the global factories after each test."""
    for name in DATABASE_ENV:
        monkeypatch.delenv(name, raising=False)
    yield
    database.dispose()
    await database.async_dispose()
    assert _sessions._engines.sync is None
