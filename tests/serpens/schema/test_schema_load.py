"""Schema.load and Schema.loads: the specification's example, every field type, numbers.

Loading a dict or JSON text into a schema: conversions of each supported type, a JSON
number's every digit kept for a Decimal field, self- and mutually recursive schemas.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

import serpens.schema
from serpens.schema import Schema, SchemaValidationError
from tests.serpens.schema._schema_helpers import ORDER_ID, Payment, Person, order_data, paths
from tests.serpens.schema.models import Address, Item, Level, Money, Node, Order, Status


class TestTheSpecificationExample:
    def test_load_loads_dump_dumps(self) -> None:
        assert Person.load({"name": "Mike", "age": 18}) == Person("Mike", 18)
        assert Person.loads('{"name": "Mike", "age": 18}') == Person("Mike", 18)
        assert Person("Mike", 18).dump() == {"name": "Mike", "age": 18}
        assert Person("Mike", 18).dumps() == '{"name": "Mike", "age": 18}'

    def test_original_class_spelling_and_many_keep_working(self) -> None:
        people = [Person("A", 1), Person("B", 2)]
        assert Person.dump(people[0]) == {"name": "A", "age": 1}
        assert (
            Person.dumps(people, many=True) == '[{"name": "A", "age": 1}, {"name": "B", "age": 2}]'
        )
        assert Person.dump(people, many=True) == [{"name": "A", "age": 1}, {"name": "B", "age": 2}]
        assert Person.load([{"name": "A", "age": 1}], many=True) == [Person("A", 1)]
        assert Person.loads('[{"name": "B", "age": 2}]', many=True) == [Person("B", 2)]

    def test_unknown_keys_are_ignored(self) -> None:
        assert Person.load({"name": "Mike", "age": 18, "extra": 1}) == Person("Mike", 18)


class TestLoadTypes:
    def test_a_full_order_loads_with_postponed_annotations(self) -> None:
        order = Order.load(
            order_data(
                status="paid",
                level=2,
                due="2024-05-10T08:00:00-03:00",
                cutoff="18:00",
                channel="app",
                discount=5,
                paid=True,
                address={"city": "Recife"},
                tags=["x", "y", "x"],
                counts={"a": 1},
                by_id={"7": "seven"},
                point=[1.5, 2],
                notes=["n1", "n2"],
                blob="AAE=",
                ref="r-1",
            )
        )
        assert order.id == uuid.UUID(ORDER_ID)
        assert order.items == [Item("a", Decimal("0.1")), Item("b", Decimal("19.99"), 2)]
        assert order.created_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
        assert order.status is Status.PAID
        assert order.level is Level.HIGH
        assert order.due == date(2024, 5, 10)
        assert order.cutoff == time(18, 0)
        assert order.discount == 5.0
        assert isinstance(order.discount, float)
        assert order.address == Address("Recife")
        assert order.tags == {"x", "y"}
        assert order.by_id == {7: "seven"}
        assert order.point == (1.5, 2.0)
        assert order.notes == ("n1", "n2")
        assert order.blob == b"\x00\x01"
        assert order.ref == "r-1"

    def test_floats_become_exact_decimals(self) -> None:
        item = Item.loads('{"sku": "a", "price": 1.1}')
        assert item.price == Decimal("1.1")
        assert str(Item.load({"sku": "a", "price": 0.1}).price) == "0.1"

    def test_z_datetimes_are_timezone_aware(self) -> None:
        created = Order.load(order_data()).created_at
        assert created.tzinfo is not None
        assert created.utcoffset() == timedelta(0)

    def test_epoch_numbers_load_as_utc_datetimes(self) -> None:
        assert Order.load(order_data(created_at=0)).created_at == datetime(1970, 1, 1, tzinfo=UTC)

    def test_typed_values_are_accepted_as_is(self) -> None:
        at = datetime(2024, 1, 1, tzinfo=UTC)
        order = Order.load(order_data(created_at=at, items=[Item("a", Decimal(1))]))
        assert order.created_at is at
        assert order.items == [Item("a", Decimal(1))]

    def test_defaults_apply_to_missing_fields(self) -> None:
        order = Order.load(order_data())
        assert order.status is Status.OPEN
        assert order.tags == set()
        assert order.ref is None

    def test_self_referencing_schemas_load(self) -> None:
        tree = Node.load({"name": "root", "children": [{"name": "leaf"}]})
        assert tree == Node("root", [Node("leaf")])

    def test_frozen_slotted_dataclasses_work(self) -> None:
        assert Money.load({"amount": "10.50"}) == Money(Decimal("10.50"))
        assert Money(Decimal("10.50")).dumps() == '{"amount": 10.5, "currency": "BRL"}'

    def test_the_loader_is_compiled_once_per_class(self) -> None:
        Person.load({"name": "a", "age": 1})
        loader = serpens.schema._loaders[Person]
        Person.load({"name": "b", "age": 2})
        assert serpens.schema._loaders[Person] is loader


@dataclass
class ParsesPayment(Schema):
    text: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self.payment = Payment.loads(self.text)


@dataclass
class HoldsParsed(Schema):
    first: ParsesPayment  # loaded, its own loads run, before amount is converted
    amount: Decimal


class TestLoadsNumbers:
    """``loads`` gives a Decimal field its JSON number's every digit, the others json.loads."""

    def test_a_decimal_field_keeps_every_digit(self) -> None:
        payment = Payment.loads('{"amount": 12345678901234567.89}')
        assert payment.amount == Decimal("12345678901234567.89")
        long = Payment.loads('{"amount": 0.1000000000000000055511151231257827}').amount
        assert str(long) == "0.1000000000000000055511151231257827"

    def test_the_decimal_is_the_json_text_as_parse_float_decimal_gives_it(self) -> None:
        for literal in ("2.50", "1e5", "-0.0", "1E-400", "1e400"):
            amount = Payment.loads(f'{{"amount": {literal}}}').amount
            assert amount.as_tuple() == Decimal(literal).as_tuple()

    def test_every_decimal_position_keeps_its_digits(self) -> None:
        digits = "12345678901234567.89"
        text = (
            f'{{"amount": 1, "history": [{digits}, 0.5], "by_month": {{"jan": {digits}}}, '
            f'"refund": {digits}, "item": {{"sku": "a", "price": {digits}}}}}'
        )
        for payment in (Payment.loads(text), Payment.loads(text.encode())):
            assert payment.history == [Decimal(digits), Decimal("0.5")]
            assert payment.by_month == {"jan": Decimal(digits)}
            assert payment.refund == Decimal(digits)
            assert payment.item == Item("a", Decimal(digits))
        [many] = Payment.loads(f'[{{"amount": {digits}}}]', many=True)
        assert many.amount == Decimal(digits)
        assert Item.loads(f'{{"sku": "a", "price": {digits}}}').price == Decimal(digits)

    def test_other_fields_load_what_json_loads_gives(self) -> None:
        text = '{"amount": 1.5, "rate": 0.1, "count": 3, "at": 0.5, "extra": [2.5, 1]}'
        payment = Payment.loads(text)
        assert (type(payment.rate), payment.rate) == (float, 0.1)
        assert (type(payment.count), payment.count) == (int, 3)
        assert payment.at == datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
        assert payment.extra == [2.5, 1]
        assert type(payment.extra[0]) is float
        assert Payment.loads('{"amount": 1, "rate": 1.00000000000000000001}').rate == 1.0

    def test_an_int_field_still_refuses_a_json_number_with_a_fraction(self) -> None:
        with pytest.raises(SchemaValidationError) as info:
            Payment.loads('{"amount": 1, "count": 2.0}')
        assert paths(info) == {"count": "must be of type int, got number"}

    def test_load_of_a_dict_still_takes_a_float_by_its_shortest_repr(self) -> None:
        assert Payment.load({"amount": 12345678901234567.89}).amount == Decimal(
            "12345678901234568.0"
        )

    def test_malformed_text_is_the_same_validation_error_with_or_without_decimals(self) -> None:
        for text in ('{"amount": ', "\ufeff{}", b'{"amount": \xff}', "9" * 5_000):
            with pytest.raises(SchemaValidationError, match="malformed JSON"):
                Payment.loads(text)
            with pytest.raises(SchemaValidationError, match="malformed JSON"):
                Person.loads(text)

    def test_a_loads_inside_a_post_init_leaves_the_outer_numbers_intact(self) -> None:
        inner = json.dumps('{"amount": 0.1000000000000000055511151231257827}')
        outer = HoldsParsed.loads(
            f'{{"first": {{"text": {inner}}}, "amount": 0.30000000000000001}}'
        )
        assert outer.first.payment.amount == Decimal("0.1000000000000000055511151231257827")
        assert outer.amount == Decimal("0.30000000000000001")


@dataclass
class Team(Schema):
    name: str
    lead: Member | None = None


@dataclass
class Member(Schema):
    name: str
    team: Team | None = None


class TestMutualRecursion:
    def test_mutually_recursive_schemas_load_and_round_trip(self) -> None:
        team = Team.load({"name": "core", "lead": {"name": "Ana", "team": {"name": "inner"}}})
        assert team == Team("core", Member("Ana", Team("inner")))
        assert Team.loads(team.dumps()) == team

    def test_errors_deep_in_a_recursive_structure_carry_the_full_path(self) -> None:
        with pytest.raises(SchemaValidationError) as info:
            Team.load({"name": "core", "lead": {"name": "Ana", "team": {"name": 1}}})
        assert paths(info) == {"lead.team.name": "must be of type str, got integer"}
