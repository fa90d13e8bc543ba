"""An engine on this machine's PostgreSQL or on a SQLite file, with a model's tables made.

Several modules here run one test on both sync drivers; each parametrizes an engine
fixture over ``["psycopg2", "sqlite"]`` and yields from :func:`engine_with_tables`. The
async fixtures (asyncpg, or aiosqlite) iterate :func:`async_engine_with_tables`. Tests of
what a repository sends record it with :func:`sent_statements`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens_sqlalchemy import configure_sqlite


def engine_with_tables(
    request: pytest.FixtureRequest, tmp_path: Path, metadata: sa.MetaData
) -> Iterator[sa.Engine]:
    """An engine for ``request.param``, *metadata*'s tables created fresh, dropped after."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tables.db'}")
        configure_sqlite(engine)
    else:
        postgres_url: str = request.getfixturevalue("postgres_url")
        engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


async def async_engine_with_tables(
    metadata: sa.MetaData, *, postgres_url: str | None = None, sqlite_path: Path | None = None
) -> AsyncIterator[AsyncEngine]:
    """An asyncpg engine on *postgres_url* (or aiosqlite on *sqlite_path*), tables made fresh."""
    if postgres_url is not None:
        engine = create_async_engine("postgresql+asyncpg://" + postgres_url.split("://", 1)[1])
    else:
        engine = create_async_engine(f"sqlite+aiosqlite:///{sqlite_path}")
        configure_sqlite(engine)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await engine.dispose()


def sent_statements(engine: sa.Engine) -> list[str]:
    """The SQL *engine* sends from now on, one string per cursor execution.

    For an ``AsyncEngine`` pass its ``sync_engine``: asyncpg's and aiosqlite's statements
    pass through it too.
    """
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    return sent


def contract_tables_schema(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema holding the contract suite's tables, dropped after.

    Fixtures yield from it (``yield from contract_tables_schema(postgres_url)``); queries
    reach the tables with ``schema_translate_map={None: schema}``.
    """
    from serpens_contract.repository import ContractBase, contract_schema  # noqa: PLC0415

    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    schema = contract_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        ContractBase.metadata.create_all(
            conn.execution_options(schema_translate_map={None: schema})
        )
    yield schema
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()
