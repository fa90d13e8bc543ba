"""An order and its "order placed" message commit together; a relay publishes the message."""

import asyncio
import contextlib

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemoryRepository,
    InMemorySession,
)
from serpens.outbox import RelayReport, relay

TOPIC = "projects/shop/topics/orders"


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(20), unique=True)


def place_order(db: InMemoryDatabase, ref: str) -> None:
    """The service's code: the order and its message in one unit of work."""
    with InMemorySession(db) as session:  # production: a SQLAlchemy Session
        orders = InMemoryRepository(Order, session=session)  # SQLAlchemyRepository
        outbox = InMemoryOutbox(session)  # SQLAlchemyOutbox(session)
        order = orders.add(Order(ref=ref))
        outbox.put(TOPIC, {"order": order.id, "ref": ref}, ordering_key=ref)
        session.commit()  # both rows, or neither


async def main() -> None:
    db = InMemoryDatabase()
    store = InMemoryOutboxStore(db)  # production: AsyncPostgresOutboxStore(engine)
    publisher = InMemoryPublisher()  # production: PubSubPublisher

    place_order(db, "A-1")
    with contextlib.suppress(ConflictError):
        place_order(db, "A-1")  # a duplicate: the order fails, so its message is never sent
        raise AssertionError("a duplicate order must be refused")
    assert await store.pending() == 1

    assert await relay(store, publisher) == RelayReport(delivered=1)
    [message] = publisher.published
    assert (message.json(), message.ordering_key) == ({"order": 1, "ref": "A-1"}, "A-1")
    assert await store.pending() == 0  # delivered messages leave the outbox


asyncio.run(main())
