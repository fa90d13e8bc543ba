"""Schema.dump, Schema.dumps and SchemaEncoder: JSON-native output, never NaN or infinity.

A dump is what ``json`` can write; decimals keep their precision, and a non-finite float
or decimal anywhere in the value is a ``SerializationError``, whatever ``allow_nan`` says.
"""

from __future__ import annotations

import enum
import io
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePosixPath

import pytest

from serpens.errors import SerializationError
from serpens.schema import Schema, SchemaEncoder
from tests.serpens.schema._schema_helpers import ORDER_ID, Payment, order_data
from tests.serpens.schema.models import Item, Money, Order, Status


class Ratio(enum.Enum):
    HALF = 0.5
    UNKNOWN = float("nan")


@dataclass
class Series(Schema):
    values: list[float]
    mean: float | None = None
    ratio: Ratio | None = None


def _with(instance: Schema, **values: object) -> Schema:
    """*instance* with fields set past the construction checks (as code may after load)."""
    for name, value in values.items():
        object.__setattr__(instance, name, value)
    return instance


NOT_FINITE = [
    Payment(Decimal(1), rate=float("nan")),
    Payment(Decimal(1), rate=float("-inf")),
    Payment(Decimal(1), extra={"x": [float("inf")]}),
    _with(Payment(Decimal(1)), count=float("nan")),
    Payment(Decimal(1), item=_with(Item("a", Decimal(1)), quantity=float("nan"))),  # nested
    Series([1.0, float("nan")]),
    Series([float("inf"), float("-inf")]),  # their sum is NaN
    Series([], mean=float("inf")),
    Series([], ratio=Ratio.UNKNOWN),
    _with(Series([]), values=["a", float("nan")]),
]


class TestDump:
    def test_dump_is_json_native_and_dumps_is_its_json(self) -> None:
        order = Order.load(order_data(tags=["b", "a"], by_id={"1": "x"}, point=[1, 2]))
        dumped = order.dump()
        assert dumped["id"] == ORDER_ID
        assert dumped["items"][1] == {"sku": "b", "price": 19.99, "quantity": 2}
        assert dumped["created_at"] == "2024-05-01T12:30:00+00:00"
        assert dumped["tags"] == ["a", "b"]
        assert dumped["by_id"] == {"1": "x"}
        assert dumped["point"] == [1.0, 2.0]
        assert json.loads(order.dumps()) == dumped
        assert Order.loads(order.dumps()) == order

    def test_decimals_never_lose_precision(self) -> None:
        assert Money(Decimal("12345678901234567890.5")).dump()["amount"] == "12345678901234567890.5"
        assert Money(Decimal(10000000000000000001)).dump()["amount"] == 10000000000000000001
        assert Money(Decimal("0.1")).dumps() == '{"amount": 0.1, "currency": "BRL"}'

    def test_non_finite_values_are_refused(self) -> None:
        with pytest.raises(ValueError, match="non-finite"):
            Money(Decimal("NaN")).dumps()

    @pytest.mark.parametrize("instance", NOT_FINITE, ids=lambda i: type(i).__name__)
    def test_dump_refuses_nan_and_infinities_as_dumps_does(self, instance: Schema) -> None:
        calls = (
            instance.dump,
            instance.dumps,
            lambda: type(instance).dump(instance),
            lambda: type(instance).dump([instance], many=True),
        )
        for call in calls:
            with pytest.raises(SerializationError, match="cannot encode non-finite float"):
                call()

    def test_finite_floats_still_dump_as_they_are(self) -> None:
        payment = Payment(Decimal(1), rate=-0.0, extra={"x": [1e308]})
        assert Series([1.5, 1e308, 1e308], 2.5, Ratio.HALF).dump() == {
            "values": [1.5, 1e308, 1e308],  # their sum overflows: each is checked, and kept
            "mean": 2.5,
            "ratio": 0.5,
        }
        assert payment.dump()["rate"] == -0.0
        assert payment.dump()["extra"] == {"x": [1e308]}


class TestSchemaEncoder:
    def test_encodes_the_extra_types(self) -> None:
        @dataclass
        class Plain:
            when: date
            tags: frozenset[str] = field(default_factory=frozenset)

        value = {
            "plain": Plain(date(2024, 1, 2), frozenset({"b", "a"})),
            "path": PurePosixPath("/tmp/x"),
            "delta": timedelta(minutes=1),
            "bytes": b"\x00",
            "status": Status.PAID,
        }
        assert json.loads(json.dumps(value, cls=SchemaEncoder)) == {
            "plain": {"when": "2024-01-02", "tags": ["a", "b"]},
            "path": "/tmp/x",
            "delta": 60.0,
            "bytes": "AA==",
            "status": "paid",
        }

    def test_unknown_types_raise_type_error(self) -> None:
        with pytest.raises(TypeError, match="cannot encode object"):
            json.dumps({"x": object()}, cls=SchemaEncoder)

    @pytest.mark.parametrize(
        "value",
        [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("-Infinity")],
        ids=repr,
    )
    def test_nan_and_infinities_are_refused_whatever_allow_nan_says(self, value: object) -> None:
        calls = (
            lambda: json.dumps({"v": value}, cls=SchemaEncoder),  # passes allow_nan=True
            lambda: json.dumps([value], cls=SchemaEncoder, allow_nan=True),
            lambda: json.dumps({"v": value}, cls=SchemaEncoder, indent=2),  # the Python encoder
            lambda: json.dump([value], io.StringIO(), cls=SchemaEncoder),  # chunks, as written
            lambda: SchemaEncoder(allow_nan=True).encode(value),
        )
        for call in calls:
            with pytest.raises(SerializationError, match=r"non-finite|not JSON compliant") as info:
                call()
            assert isinstance(info.value, ValueError)  # what json's own refusal raises

    def test_finite_values_encode_as_before(self) -> None:
        value = {"f": 1.5, "d": Decimal("19.99"), "big": Decimal("12345678901234567890.5")}
        expected = {"f": 1.5, "d": 19.99, "big": "12345678901234567890.5"}
        assert json.loads(json.dumps(value, cls=SchemaEncoder, allow_nan=True)) == expected
        assert json.loads(json.dumps(value, cls=SchemaEncoder, indent=2)) == expected
        out = io.StringIO()
        json.dump(value, out, cls=SchemaEncoder)
        assert json.loads(out.getvalue()) == expected
