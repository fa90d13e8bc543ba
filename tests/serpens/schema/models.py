"""Schemas under test, defined with postponed annotations (``from __future__``)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

from serpens.schema import Schema


class Status(enum.Enum):
    OPEN = "open"
    PAID = "paid"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Address:  # a plain dataclass nested in a Schema
    city: str
    zip: str | None = None


@dataclass
class Item(Schema):
    sku: str
    price: Decimal
    quantity: int = 1


@dataclass
class Order(Schema):
    id: uuid.UUID
    customer: str
    items: list[Item]
    created_at: datetime
    status: Status = Status.OPEN
    level: Level = Level.LOW
    due: date | None = None
    cutoff: time | None = None
    channel: Literal["web", "app"] = "web"
    discount: float = 0.0
    paid: bool = False
    address: Address | None = None
    tags: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    by_id: dict[int, str] = field(default_factory=dict)
    point: tuple[float, float] | None = None
    notes: tuple[str, ...] = ()
    blob: bytes | None = None
    ref: int | str | None = None


@dataclass
class Node(Schema):
    name: str
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Money(Schema):
    amount: Decimal
    currency: str = "BRL"
