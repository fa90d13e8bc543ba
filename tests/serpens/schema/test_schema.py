from __future__ import annotations

import enum
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import pytest

import serpens.schema
from serpens.errors import SerializationError, ValidationError
from serpens.schema import Schema, SchemaEncoder, SchemaValidationError
from tests.serpens.schema.models import Address, Item, Level, Money, Node, Order, Status

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


class TestValidationErrors:
    def test_every_bad_field_is_listed_with_its_path(self) -> None:
        data = order_data(
            id="nope",
            items=[
                {"sku": "a", "price": 1},
                {"sku": "b", "price": 2},
                {"sku": 3, "price": "x", "quantity": True},
            ],
            created_at="yesterday",
            status="lost",
            channel="fax",
            counts={"a": "1"},
        )
        del data["customer"]
        with pytest.raises(SchemaValidationError) as info:
            Order.load(data)
        assert paths(info) == {
            "id": "is not a valid UUID: 'nope'",
            "customer": "is a required field",
            "items[2].sku": "must be of type str, got integer",
            "items[2].price": "is not a valid decimal: 'x'",
            "items[2].quantity": "must be of type int, got boolean",
            "created_at": "is not an ISO 8601 datetime: 'yesterday'",
            "status": "must be one of 'open', 'paid'",
            "channel": "must be one of 'web', 'app'",
            "counts['a']": "must be of type int, got string",
        }
        assert "items[2].price" in str(info.value)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("customer", 1),
            ("customer", None),
            ("discount", True),
            ("discount", "1.5"),
            ("discount", float("nan")),
            ("paid", 1),
            ("paid", "true"),
            ("level", True),
            ("point", [1.0]),
            ("tags", "abc"),
            ("items", {"sku": "a"}),
            ("address", {"zip": "1"}),
            ("ref", 1.5),
            ("blob", "***"),
            ("due", 20240101),
        ],
    )
    def test_no_silent_coercion(self, field: str, value: object) -> None:
        with pytest.raises(SchemaValidationError) as info:
            Order.load(order_data(**{field: value}))
        assert next(iter(paths(info))).startswith(field)

    def test_errors_are_validation_value_and_type_errors(self) -> None:
        with pytest.raises(SchemaValidationError) as info:
            Person.load({"name": "a"})
        assert isinstance(info.value, ValidationError)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, TypeError)

    def test_null_and_non_objects_are_clear_errors(self) -> None:
        with pytest.raises(SchemaValidationError, match="must be an object, got null"):
            Person.load(None)
        with pytest.raises(SchemaValidationError, match="must be an array, got object"):
            Person.load({"name": "a", "age": 1}, many=True)
        with pytest.raises(SchemaValidationError) as info:
            Person.load([{"name": "a", "age": 1}, {"name": 2, "age": 1}], many=True)
        assert paths(info) == {"[1].name": "must be of type str, got integer"}

    def test_malformed_json_is_a_validation_error(self) -> None:
        with pytest.raises(SchemaValidationError, match="malformed JSON"):
            Person.loads('{"name": ')

    def test_a_json_integer_past_the_digit_limit_is_a_validation_error(self) -> None:
        text = '{"name": "a", "age": ' + "9" * 5_000 + "}"
        with pytest.raises(SchemaValidationError, match="too many digits") as info:
            Person.loads(text)
        assert isinstance(info.value, ValidationError)
        assert len(str(info.value)) < 200  # never the 5,000 digits back

    def test_a_request_body_with_such_an_integer_is_a_400(self) -> None:
        from serpens import api  # noqa: PLC0415 - only this test needs the api

        @api.handler
        def lambda_handler(request: api.Request) -> object:
            return Person.load(request.body)

        event = {
            "httpMethod": "POST",
            "path": "/people",
            "headers": {"Content-Type": "application/json"},
            "body": '{"name": "a", "age": ' + "9" * 5_000 + "}",
        }
        response = lambda_handler(event, None)
        assert response["statusCode"] == 400
        assert json.loads(response["body"]) == {"message": "Malformed JSON body"}

    def test_input_nested_too_deeply_is_a_validation_error(self) -> None:
        with pytest.raises(SchemaValidationError, match="nested too deeply"):
            Person.loads("[" * 100_000 + "]" * 100_000)
        deep: dict[str, object] = {"name": "root", "children": []}
        leaf = deep
        for _ in range(5_000):
            child: dict[str, object] = {"name": "n", "children": []}
            leaf["children"] = [child]
            leaf = child
        with pytest.raises(SchemaValidationError, match="nested too deeply"):
            Node.load(deep)
        with pytest.raises(SchemaValidationError) as info:
            Node.load([{"name": "ok"}, deep], many=True)
        assert paths(info) == {"[1]": "is nested too deeply"}

    def test_post_init_value_errors_become_validation_errors(self) -> None:
        @dataclass
        class Positive(Schema):
            value: int

            def __post_init__(self) -> None:
                if self.value <= 0:
                    raise ValueError("value must be positive")

        with pytest.raises(SchemaValidationError, match="value must be positive"):
            Positive.load({"value": -1})

    def test_a_subclass_without_dataclass_is_a_clear_type_error(self) -> None:
        class NotDecorated(Schema):
            name: str

        with pytest.raises(TypeError, match="must be decorated with @dataclass"):
            NotDecorated.load({"name": "a"})

    def test_unsupported_annotations_are_reported_at_first_load(self) -> None:
        @dataclass
        class Odd(Schema):
            handler: type

        with pytest.raises(TypeError, match=r"Odd.handler"):
            Odd.load({"handler": "x"})


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
