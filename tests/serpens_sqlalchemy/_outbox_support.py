"""What the PostgreSQL outbox store's tests share: a schema per test and engines placed in it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.serpens_sqlalchemy._idempotency_support import _asyncpg

__all__ = ["_engine", "_in", "_schema"]


@pytest.fixture(name="schema")
async def _schema(postgres_url: str) -> AsyncIterator[str]:
    """A schema of this test's own, dropped (with the outbox in it) after."""
    name = f"outbox_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(_asyncpg(postgres_url))
    async with admin.begin() as conn:
        await conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    yield name
    async with admin.begin() as conn:
        await conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
    await admin.dispose()


def _in(schema: str, postgres_url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """A new engine (to dispose of) and its view that keeps the outbox in *schema*."""
    base = create_async_engine(_asyncpg(postgres_url))
    return base, base.execution_options(schema_translate_map={None: schema})


@pytest.fixture(name="engine")
async def _engine(postgres_url: str, schema: str) -> AsyncIterator[AsyncEngine]:
    base, engine = _in(schema, postgres_url)
    yield engine
    await base.dispose()
