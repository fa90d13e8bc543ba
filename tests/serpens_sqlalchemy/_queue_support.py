"""What the PostgreSQL queue's own tests share: a psycopg2 engine, a table of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

__all__ = ["_engine", "_table"]


@pytest.fixture(name="engine")
def _engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    yield engine
    engine.dispose()


@pytest.fixture(name="table")
def _table(engine: sa.Engine) -> Iterator[str]:
    """A queue table of this test's own (its dedup table beside it), dropped afterwards."""
    table = f"queue_{uuid.uuid4().hex[:8]}"
    yield table
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}, {table}_dedup")
