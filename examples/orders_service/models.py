"""The ``orders`` table."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from serpens.database import Base, TimestampMixin

__all__ = ["Order", "OrderStatus"]


class OrderStatus:
    """The life of an order: paid (now or later), then fulfilled by the warehouse."""

    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"


class Order(TimestampMixin, Base):
    """One order of *quantity* units of one product, priced when it was placed."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    total_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.AWAITING_PAYMENT)

    def to_dict(self) -> dict[str, object]:
        """The order as the API returns it."""
        return {
            "id": self.id,
            "customer": self.customer,
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price_cents": self.unit_price_cents,
            "total_cents": self.total_cents,
            "status": self.status,
        }
