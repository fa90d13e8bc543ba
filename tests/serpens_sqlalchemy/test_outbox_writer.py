"""``SQLAlchemyOutbox`` beside a repository: a message commits with the rows, or not at all.

On PostgreSQL (an ``AsyncSession`` shared with ``AsyncSQLAlchemyRepository``) and on
SQLite (a ``Session``): the outbox is a table like the service's, so any database its
sessions reach can stage messages; only the relay's store needs PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens.errors import ConfigurationError, ConflictError, SerializationError
from serpens.outbox import OutboxRecord, outbox_metadata
from serpens_sqlalchemy import AsyncPostgresOutboxStore, AsyncSQLAlchemyRepository, SQLAlchemyOutbox

TOPIC = "projects/shop/topics/orders"


class _Base(DeclarativeBase):
    pass


class Order(_Base):
    __tablename__ = "outbox_writer_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(8), unique=True)


@pytest.fixture(name="engine")
async def _engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An asyncpg engine whose tables (orders and the outbox) live in a schema of their own."""
    schema = f"writer_{uuid.uuid4().hex[:12]}"
    base = create_async_engine("postgresql+asyncpg://" + postgres_url.split("://", 1)[1])
    async with base.begin() as conn:
        await conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = base.execution_options(schema_translate_map={None: schema})
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
        await conn.run_sync(outbox_metadata.create_all)
    yield engine
    async with base.begin() as conn:
        await conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    await base.dispose()


async def test_a_message_commits_with_the_order_and_goes_with_its_rollback(
    engine: AsyncEngine,
) -> None:
    store = AsyncPostgresOutboxStore(engine)
    async with AsyncSession(engine) as session:
        orders = AsyncSQLAlchemyRepository(session, Order)
        outbox = SQLAlchemyOutbox(session)
        await orders.add(Order(ref="A-1"))
        outbox.put(TOPIC, {"ref": "A-1"})
        await session.rollback()
        order_id = (await orders.add(Order(ref="A-2"))).id
        outbox.put(TOPIC, {"order": order_id})
        await orders.flush()
        assert await store.pending() == 0  # flushed, not committed
        await session.commit()
    [message] = await store.claim()
    assert message.payload == f'{{"order":{order_id}}}'.encode()
    assert await store.pending() == 1


async def test_a_failed_commit_publishes_neither_the_rows_nor_the_message(
    engine: AsyncEngine,
) -> None:
    store = AsyncPostgresOutboxStore(engine)
    async with AsyncSession(engine) as session:
        await AsyncSQLAlchemyRepository(session, Order).add(Order(ref="same"))
        SQLAlchemyOutbox(session).put(TOPIC, "first")
        await session.commit()
    async with AsyncSession(engine) as session:
        orders = AsyncSQLAlchemyRepository(session, Order)
        await orders.add(Order(ref="same"), flush=False)
        SQLAlchemyOutbox(session).put(TOPIC, "second")
        with pytest.raises(ConflictError):
            await orders.flush()  # the order meets the unique ref: the message goes too
        await session.rollback()
        assert list(session.new) == []
    assert [m.payload for m in await store.claim()] == [b"first"]


def test_sqlite_sessions_stage_messages_too(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox_metadata.create_all(engine)
    with Session(engine) as session:
        outbox = SQLAlchemyOutbox(session)
        first = outbox.put(TOPIC, "first", attributes={"a": "1"}, ordering_key="k")
        session.commit()
        outbox.put(TOPIC, "dropped")
        session.rollback()
        second = outbox.put(TOPIC, b"second")
        session.commit()
    with Session(engine) as session:
        rows = session.scalars(sa.select(OutboxRecord).order_by(OutboxRecord.id)).all()
        assert [(r.id, r.key, r.payload, r.attributes, r.ordering_key) for r in rows] == [
            (1, first, b"first", '{"a":"1"}', "k"),
            (2, second, b"second", "{}", ""),
        ]
    engine.dispose()


def test_a_bad_message_is_refused_before_it_is_staged() -> None:
    engine = sa.create_engine("sqlite://")
    with Session(engine) as session:
        outbox = SQLAlchemyOutbox(session)
        with pytest.raises(SerializationError):
            outbox.put(TOPIC, {"when": object()})
        assert list(session.new) == []
    engine.dispose()


def test_only_sessions_are_taken() -> None:
    for not_a_session in (None, "postgresql://u:p@h/db", sa.create_engine("sqlite://")):
        with pytest.raises(ConfigurationError, match="Session or AsyncSession"):
            SQLAlchemyOutbox(not_a_session)  # type: ignore[arg-type]
    assert repr(SQLAlchemyOutbox(Session())) == "<SQLAlchemyOutbox on a Session>"
