"""The fault tests' PostgreSQL helpers: the proxy they break, and what they ask past it.

``proxy`` (import ``_proxy`` into a test module) is a :class:`~serpens.testing.FaultProxy`
in front of the session's PostgreSQL, for one test. A cancelled or cut connection must
leave nothing behind on the server: :func:`backends` counts the backends a test's
connections hold (named by ``application_name``) over a connection of its own, and
:func:`eventually` waits for a condition to come true within a bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from serpens.testing import FaultProxy, PostgresServer

__all__ = ["backends", "eventually"]


@pytest.fixture(name="proxy")
def _proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


def backends(postgres_url: str, app: str) -> int:
    """How many server backends the connections named *app* hold (straight, not proxied)."""
    admin = sa.create_engine(
        "postgresql+psycopg2://" + postgres_url.split("://", 1)[1], poolclass=NullPool
    )
    try:
        with admin.connect() as conn:
            query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a")
            return int(conn.execute(query, {"a": app}).scalar_one())
    finally:
        admin.dispose()


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether *check* comes true within *seconds* (asked every 20 ms)."""
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.02)
    return True
