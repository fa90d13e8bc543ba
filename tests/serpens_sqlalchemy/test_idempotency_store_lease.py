"""A claim's lease is stored to the microsecond: its record ends exactly *lease* after it.

The store keeps a record's ``token`` (the server's time of the claim, in microseconds) and
``until`` (the end of its lease); a claim of ``lease`` seconds must store ``until`` at
``token + lease * 1,000,000``, not a little later, or a lapsed claim would hold its key
past its lease. Read from the table, so no clock is raced. Real server: PostgreSQL
(asyncpg).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from serpens_sqlalchemy import AsyncPostgresIdempotencyStore
from tests.serpens_sqlalchemy._idempotency_support import (  # noqa: F401 - fixtures
    _claim,
    _engine,
    _table,
)


async def test_a_claims_record_ends_exactly_its_lease_after_it(
    engine: AsyncEngine, table: str
) -> None:
    store = AsyncPostgresIdempotencyStore(engine, f"ns-{uuid.uuid4().hex[:8]}", table=table)
    for key, lease in (("short", 2.5), ("long", 86_400.0), ("odd", 1.234)):
        claim = await _claim(store, key, lease=lease)
        async with engine.connect() as conn:
            query = sa.text(f"SELECT token, until FROM {table} WHERE namespace = :ns AND key = :k")
            row = (await conn.execute(query, {"ns": store.namespace, "k": key})).one()
        assert row.token == claim.token
        assert row.until - row.token == round(lease * 1_000_000), key
