"""The PostgreSQL idempotency store's defaults, and what its refusal of an engine says.

Records are keyed by namespace: a store made without one uses ``"default"``, and a
changed default would orphan every record stored before it (the claims would find the
keys free again). A SQLite engine is refused with what the store needs PostgreSQL for and
the fake to test with instead. No I/O: the engines are never connected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from serpens.errors import ConfigurationError
from serpens_sqlalchemy import AsyncPostgresIdempotencyStore

NOWHERE = "postgresql+asyncpg://u@127.0.0.1:1/db"  # nothing listens on 1


def test_a_store_made_without_a_namespace_or_table_uses_the_documented_ones() -> None:
    store = AsyncPostgresIdempotencyStore(create_async_engine(NOWHERE))
    assert store.namespace == "default"
    assert store.table == "serpens_idempotency"


def test_a_sqlite_engine_is_refused_naming_what_postgresql_is_for_and_the_fake(
    tmp_path: Path,
) -> None:
    sqlite = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigurationError) as raised:
        AsyncPostgresIdempotencyStore(sqlite)
    message = str(raised.value)
    assert "it relies on INSERT ... ON CONFLICT and clock_timestamp()" in message
    assert "use InMemoryIdempotencyStore in tests" in message
