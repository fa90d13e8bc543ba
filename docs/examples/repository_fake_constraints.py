import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[int] = mapped_column(sa.CheckConstraint("total >= 0", name="ck_total"))


class Line(Base):
    __tablename__ = "lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))


database = InMemoryDatabase()
orders = InMemoryRepository(Order, database=database)
lines = InMemoryRepository(Line, database=database)

try:
    orders.add(Order(total=-5))  # CHECK (total >= 0): PostgreSQL's 23514
except ValidationError as exc:
    print("refused:", exc)

order = orders.add(Order(total=10))
lines.add(Line(order_id=order.id))  # another open unit of work wrote the order: it counts
try:
    lines.add(Line(order_id=999))  # no such order: PostgreSQL's 23503
except ConflictError as exc:
    print("refused:", exc)
orders.commit()
lines.commit()
print(len(lines.list()), "line stored")
