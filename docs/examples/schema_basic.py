from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Literal

from serpens.schema import Schema, SchemaValidationError


class Status(Enum):
    OPEN = "open"
    PAID = "paid"


@dataclass
class Item(Schema):
    sku: str
    price: Decimal
    quantity: int = 1


@dataclass
class Order(Schema):
    customer: str
    created_at: datetime
    items: list[Item]
    status: Status = Status.OPEN
    channel: Literal["web", "app"] = "web"
    note: str | None = None
    tags: set[str] = field(default_factory=set)


order = Order.loads(
    """{"customer": "Mike", "created_at": "2024-05-01T12:30:00Z",
        "items": [{"sku": "A-1", "price": 19.99, "quantity": 2}], "status": "paid"}"""
)
assert order.created_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)  # "Z" is UTC, aware
assert order.items[0].price == Decimal("19.99")  # exact, not 19.989999999999998...
assert order.status is Status.PAID

assert order.dump()["items"] == [{"sku": "A-1", "price": 19.99, "quantity": 2}]
assert Order.dump(order) == order.dump()  # the original class-method spelling
assert Order.loads(order.dumps()) == order  # dumps() -> JSON text, round-trips

errors, message = [], ""
try:
    Order.load(
        {
            "customer": 7,
            "created_at": "yesterday",
            "items": [{"sku": "A"}, {"sku": "B", "price": "1.00", "quantity": True}],
        }
    )
except SchemaValidationError as exc:  # also a ValueError and a TypeError
    errors, message = [(e.path, e.message) for e in exc.errors], str(exc)
assert errors == [
    ("customer", "must be of type str, got integer"),
    ("created_at", "is not an ISO 8601 datetime: 'yesterday'"),
    ("items[0].price", "is a required field"),
    ("items[1].quantity", "must be of type int, got boolean"),
]
assert message == (  # the original wording, with paths
    "invalid Order: 'customer' must be of type str; "
    "'created_at' is not an ISO 8601 datetime: 'yesterday'; "
    "'items[0].price' is a required field; 'items[1].quantity' must be of type int"
)

try:  # constructing checks types too, as the original serpens did
    Item(sku="A-1", price="19.99")  # type: ignore[arg-type]
except TypeError as exc:
    message = str(exc)
assert message == "'price' must be of type Decimal"
