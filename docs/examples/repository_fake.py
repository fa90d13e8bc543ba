import contextlib

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConflictError
from serpens.fakes import InMemoryRepository
from serpens.ports import Repository


class Base(DeclarativeBase):
    pass


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(default="received")


def receive(payments: Repository[Payment], key: str, amount: int) -> Payment:
    """Application code depends on the port, not on SQLAlchemy sessions."""
    return payments.upsert({"external_id": key, "amount": amount}, conflict_on=["external_id"])


def test_receiving_twice_is_idempotent() -> None:
    payments = InMemoryRepository(Payment)  # same mapped class, no database
    first = receive(payments, "k1", 100)
    again = receive(payments, "k1", 999)
    assert again is first
    assert (again.amount, again.status, payments.count()) == (100, "received", 1)
    with contextlib.suppress(ConflictError):  # unique constraints come from the metadata
        payments.add(Payment(external_id="k1", amount=5))
    assert payments.count() == 1


test_receiving_twice_is_idempotent()
