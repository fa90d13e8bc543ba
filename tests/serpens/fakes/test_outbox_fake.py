"""The in-memory outbox beside the fake repository: one unit of work, one database."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens._rules.outbox import OutboxRecord
from serpens.errors import BackendUnavailableError, ConflictError
from serpens.fakes import (
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryRepository,
    InMemorySession,
)

TOPIC = "projects/shop/topics/orders"


class _Base(DeclarativeBase):
    pass


class Order(_Base):
    __tablename__ = "fake_outbox_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(8), unique=True)


async def test_a_message_commits_and_rolls_back_with_the_rows_beside_it() -> None:
    db = InMemoryDatabase()
    store = InMemoryOutboxStore(db)
    with InMemorySession(db) as session:
        orders = AsyncInMemoryRepository(Order, session=session)
        outbox = InMemoryOutbox(session)
        await orders.add(Order(ref="A-1"))
        outbox.put(TOPIC, {"ref": "A-1"})
        await orders.rollback()  # the session's: the message goes with the order
        assert (await orders.count(), await store.pending()) == (0, 0)
        order = await orders.add(Order(ref="A-2"))
        outbox.put(TOPIC, {"order": order.id})
        await orders.commit()
    assert InMemoryRepository(Order, database=db).count() == 1
    [message] = await store.claim()
    assert message.payload == f'{{"order":{order.id}}}'.encode()  # 2: sequences skip


async def test_a_conflict_at_commit_publishes_neither_the_rows_nor_the_message() -> None:
    db = InMemoryDatabase()
    store = InMemoryOutboxStore(db)
    with InMemorySession(db) as first, InMemorySession(db) as second:
        InMemoryRepository(Order, session=first).add(Order(ref="same"), flush=False)
        InMemoryOutbox(first).put(TOPIC, "first")
        InMemoryRepository(Order, session=second).add(Order(ref="same"), flush=False)
        InMemoryOutbox(second).put(TOPIC, "second")
        first.commit()
        with pytest.raises(ConflictError):
            second.commit()
    assert [m.payload for m in await store.claim()] == [b"first"]
    assert await store.pending() == 1


async def test_the_messages_are_rows_of_the_outbox_table() -> None:
    """A test may read what its code staged, as it would query ``serpens_outbox``."""
    db = InMemoryDatabase()
    with InMemorySession(db) as session:
        attributes = {"a": "1", "é": "ü"}
        key = InMemoryOutbox(session).put(TOPIC, "x", attributes=attributes, ordering_key="k")
        session.commit()
    [row] = InMemoryRepository(OutboxRecord, database=db).list()
    assert (row.key, row.topic, row.payload, row.attributes, row.ordering_key) == (
        key,
        TOPIC,
        b"x",
        '{"a":"1","é":"ü"}',  # compact UTF-8 JSON, readable in the table
        "k",
    )
    assert (row.attempts, row.token, row.hidden_until) == (0, 0, 0)


async def test_an_outage_of_the_database_or_the_store_stops_the_store() -> None:
    db = InMemoryDatabase()
    store = InMemoryOutboxStore(db)
    with InMemorySession(db) as session:
        InMemoryOutbox(session).put(TOPIC, "x")
        session.commit()
    with db.outage(), pytest.raises(BackendUnavailableError):
        await store.claim()
    with store.outage(), pytest.raises(BackendUnavailableError):
        await store.pending()
    assert len(await store.claim()) == 1


def test_stores_on_threads_never_claim_one_message_twice() -> None:
    db = InMemoryDatabase()
    with InMemorySession(db) as session:
        outbox = InMemoryOutbox(session)
        for i in range(400):
            outbox.put(TOPIC, f"m{i}")
        session.commit()

    def claim_all() -> list[int]:
        store = InMemoryOutboxStore(db)
        ids: list[int] = []
        while batch := asyncio.run(store.claim(limit=7)):
            ids.extend(m.id for m in batch)
        return ids

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: a race has its chances
    try:
        with ThreadPoolExecutor(4) as pool:
            claimed = [i for ids in pool.map(lambda _: claim_all(), range(4)) for i in ids]
    finally:
        sys.setswitchinterval(interval)
    assert sorted(claimed) == list(range(1, 401))


async def test_a_delivered_message_frees_its_key() -> None:
    """The row is gone with its unique key: the key may be stored again."""
    db = InMemoryDatabase()
    store = InMemoryOutboxStore(db)
    with InMemorySession(db) as session:
        key = InMemoryOutbox(session).put(TOPIC, "x")
        session.commit()
    await store.delivered((await store.claim())[0])
    rows = InMemoryRepository(OutboxRecord, database=db)
    assert rows.get_by(key=key) is None
    rows.add(OutboxRecord(key=key, topic=TOPIC, payload=b"again"))
    rows.commit()
    assert [m.payload for m in await store.claim()] == [b"again"]


def test_reprs_name_the_database() -> None:
    db = InMemoryDatabase()
    with InMemorySession(db) as session:
        assert repr(InMemoryOutbox(session)).startswith("<InMemoryOutbox on <")
    assert repr(InMemoryOutboxStore(db)).startswith("<InMemoryOutboxStore on <")
