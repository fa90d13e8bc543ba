import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.fakes import InMemoryDatabase, InMemoryRepository, InMemorySession


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(20), unique=True)


class Outbox(Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(40))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))


def test_an_order_and_its_message_commit_together() -> None:
    db = InMemoryDatabase()
    with InMemorySession(db) as session:  # one Session for both repositories
        orders = InMemoryRepository(Order, session=session)
        outbox = InMemoryRepository(Outbox, session=session)
        order = orders.add(Order(ref="A-1"))
        outbox.add(Outbox(topic="orders.created", order_id=order.id))
        assert InMemoryRepository(Outbox, database=db).count() == 0  # not yet committed
        orders.rollback()  # the session's rollback: the message goes with the order
        assert (orders.count(), outbox.count()) == (0, 0)

        order = orders.add(Order(ref="A-2"))
        outbox.add(Outbox(topic="orders.created", order_id=order.id))
        session.commit()  # both rows at once, or neither
    assert InMemoryRepository(Outbox, database=db).count() == 1


test_an_order_and_its_message_commit_together()
