"""What several ``test_schema_*`` modules share: an order's data, error paths, two schemas.

``order_data`` builds a valid ``Order`` payload, ``paths`` reads a validation error as
``{path: message}``, and ``Person`` and ``Payment`` are the small schemas the load,
validation and dump tests all use; ``same_json`` and ``dump_outcome`` compare a dump with
the generic encoder's. Defined with postponed annotations, so the names a
field's annotation mentions (``Item``, ``Decimal``, ``datetime``) are imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from serpens.schema import Schema, SchemaValidationError
from tests.serpens.schema.models import Item

ORDER_ID = "12345678-1234-5678-1234-567812345678"


def order_data(**overrides):
    data = {
        "id": ORDER_ID,
        "customer": "Mike",
        "items": [{"sku": "a", "price": 0.1}, {"sku": "b", "price": "19.99", "quantity": 2}],
        "created_at": "2024-05-01T12:30:00Z",
    }
    data.update(overrides)
    return data


def paths(exc: pytest.ExceptionInfo[SchemaValidationError]) -> dict[str, str]:
    return {e.path: e.message for e in exc.value.errors}


@dataclass
class Person(Schema):
    name: str
    age: int


@dataclass
class Payment(Schema):
    amount: Decimal
    rate: float = 0.0
    count: int = 0
    at: datetime | None = None
    extra: Any = None
    history: list[Decimal] = field(default_factory=list)
    by_month: dict[str, Decimal] = field(default_factory=dict)
    refund: Decimal | None = None
    item: Item | None = None


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON-native values are identical (1, 1.0 and True differ; key order counts)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def dump_outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """``("ok", result)``, or ``("error", type, message)`` of what *call* raised."""
    try:
        return ("ok", call())
    except Exception as exc:
        return ("error", type(exc), str(exc))
