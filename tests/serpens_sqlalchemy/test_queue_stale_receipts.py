"""The PostgreSQL queues' stale receipts: ``change_visibility`` acts on the message too.

docs/messaging.md: "``ack`` and ``change_visibility`` accept the current receipt and every
stale one of the same message". The contract leaves a stale receipt's effect open (SQS:
"the request succeeds, but the message might not be deleted"; moto refuses a stale handle
for a visibility change), so these pin the PostgreSQL queues' own promise: a stale
receipt of a message in flight changes that message's visibility, as the fake's does, and
a stale receipt of an acknowledged message is ``NotFoundError``. Real PostgreSQL, psycopg2
and asyncpg.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from serpens.errors import NotFoundError
from serpens_sqlalchemy import AsyncPostgresQueue, PostgresQueue
from tests.serpens_sqlalchemy._queue_support import _engine, _table  # noqa: F401 - fixtures

pytestmark = pytest.mark.postgres


@pytest.fixture(name="async_engine")
async def _async_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("postgresql+asyncpg://" + postgres_url.split("://", 1)[1])
    yield engine
    await engine.dispose()


def test_a_stale_receipt_changes_the_visibility_of_its_message(
    engine: sa.Engine, table: str
) -> None:
    queue = PostgresQueue(engine, "stale", table=table, deadline=5.0)
    queue.create_table()
    queue.send("work")
    (first,) = queue.receive(visibility_timeout=60)
    queue.change_visibility(first, 0)
    (again,) = queue.receive(visibility_timeout=60)  # in flight, with a new receipt
    assert (again.id, again.receive_count) == (first.id, 2)
    queue.change_visibility(first, 0)  # the stale receipt: it acts on the message
    (third,) = queue.receive(visibility_timeout=60)
    assert (third.id, third.receive_count) == (first.id, 3)
    queue.change_visibility(first, 60)  # stale by two receives: still the message's
    assert list(queue.receive(max_messages=10)) == []
    queue.ack(third)
    with pytest.raises(NotFoundError):
        queue.change_visibility(first, 0)


async def test_a_stale_receipt_changes_the_visibility_of_its_message_async(
    async_engine: AsyncEngine, engine: sa.Engine, table: str
) -> None:
    PostgresQueue(engine, "stale", table=table, deadline=5.0).create_table()
    queue = AsyncPostgresQueue(async_engine, "stale", table=table, deadline=5.0)
    await queue.send("work")
    (first,) = await queue.receive(visibility_timeout=60)
    await queue.change_visibility(first, 0)
    (again,) = await queue.receive(visibility_timeout=60)
    assert (again.id, again.receive_count) == (first.id, 2)
    await queue.change_visibility(first, 0)
    (third,) = await queue.receive(visibility_timeout=60)
    assert (third.id, third.receive_count) == (first.id, 3)
    await queue.change_visibility(first, 60)
    assert list(await queue.receive(max_messages=10)) == []
    await queue.ack(third)
    with pytest.raises(NotFoundError):
        await queue.change_visibility(first, 0)
