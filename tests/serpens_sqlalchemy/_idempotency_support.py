"""What the PostgreSQL idempotency store's tests share: URLs, an engine, a table, a claim."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.ports import Claim
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore

__all__ = ["_CLOSED", "_asyncpg", "_claim", "_engine", "_table"]

_CLOSED = "postgresql+asyncpg://serpens:s3cret@127.0.0.1:1/nothing"  # nothing listens on 1


def _asyncpg(postgres_url: str) -> str:
    return "postgresql+asyncpg://" + postgres_url.split("://", 1)[1]


@pytest.fixture(name="engine")
async def _engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(_asyncpg(postgres_url))
    yield engine
    await engine.dispose()


@pytest.fixture(name="table")
async def _table(engine: AsyncEngine) -> AsyncIterator[str]:
    """A table name of this test's own (not created), dropped after."""
    name = f"idem_{uuid.uuid4().hex[:10]}"
    yield name
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


async def _claim(store: AsyncPostgresIdempotencyStore, key: str, **options: Any) -> Claim:
    claim = await store.claim(key, **{"lease": 60.0, **options})
    assert isinstance(claim, Claim)
    return claim
