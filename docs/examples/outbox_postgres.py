"""The outbox on PostgreSQL: stage in the service's AsyncSession, relay from the table."""

import asyncio
import os

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.database import async_bind, async_dispose
from serpens.fakes import InMemoryPublisher
from serpens.outbox import RelayReport, outbox_metadata, relay
from serpens_sqlalchemy import AsyncPostgresOutboxStore, AsyncSQLAlchemyRepository, SQLAlchemyOutbox

TOPIC = "projects/shop/topics/invoices"


class Base(DeclarativeBase):
    pass


class Invoice(Base):
    __tablename__ = "outbox_example_invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[int] = mapped_column(sa.Integer)


async def main() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    engine = async_bind()
    async with engine.begin() as conn:  # or Alembic, with outbox_metadata in target_metadata
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(outbox_metadata.create_all)

    async with AsyncSession(engine) as session:
        invoices = AsyncSQLAlchemyRepository(session, Invoice)
        invoice = await invoices.add(Invoice(total=4200))
        SQLAlchemyOutbox(session).put(TOPIC, {"invoice": invoice.id, "total": 4200})
        await session.commit()  # the invoice and its message, in one transaction

    store = AsyncPostgresOutboxStore(engine)  # any number of relays may share the table
    publisher = InMemoryPublisher()  # production: serpens_pubsub.PubSubPublisher
    assert await relay(store, publisher) == RelayReport(delivered=1)
    assert publisher.published[0].json()["total"] == 4200
    assert await store.pending() == 0
    await async_dispose()


asyncio.run(main())
