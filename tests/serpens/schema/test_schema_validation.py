"""Schema validation errors: every bad field listed with its path, no silent coercion.

Each error is a ``SchemaValidationError`` (a ``ValidationError``, ``ValueError`` and
``TypeError``): wrong types, malformed or too deep JSON, oversized integers (a 400 in an
API handler), ``__post_init__`` refusals and schemas that cannot be loaded at all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from serpens.errors import ValidationError
from serpens.schema import Schema, SchemaValidationError
from tests.serpens.schema._schema_helpers import Person, order_data, paths
from tests.serpens.schema.models import Node, Order


@pytest.fixture(name="default_recursion_limit")
def _default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit for the test: mypy, run in-process by
    tests/typing, raises the process's to 2**14, deep enough to load 5,000 levels."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


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

    @pytest.mark.usefixtures("default_recursion_limit")
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
