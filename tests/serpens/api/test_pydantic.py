"""pydantic models through the real handler path: responses, 422 bodies and request bodies."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pydantic
import pytest
from pydantic.alias_generators import to_camel

from serpens import api
from serpens.errors import ValidationError
from serpens.schema import Schema
from tests.serpens.api.events import alb_event, http_event, rest_event

CORS_JSON = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


class Line(pydantic.BaseModel):
    sku: str
    price: Decimal = pydantic.Field(gt=0)


class Order(pydantic.BaseModel):
    id: uuid.UUID
    placed_at: datetime
    lines: list[Line]


class NewUserModel(pydantic.BaseModel):
    name: str
    age: int


@dataclass
class NewUserSchema(Schema):
    name: str
    age: int


class Camel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(
        alias_generator=to_camel,
        serialize_by_alias=True,
        populate_by_name=True,
    )
    user_id: int


ORDER = Order(
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    placed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    lines=[Line(sku="A-1", price=Decimal("19.99"))],
)
ORDER_JSON = {
    "id": "12345678-1234-5678-1234-567812345678",
    "placed_at": "2026-01-02T03:04:05Z",
    "lines": [{"sku": "A-1", "price": "19.99"}],
}


def respond(result, event=None):
    @api.handler
    def lambda_handler(request: api.Request):
        return result

    return lambda_handler(rest_event() if event is None else event, None)


class TestModelResponses:
    def test_a_model_is_a_200_json_body_in_pydantic_json_mode(self) -> None:
        response = respond(ORDER)
        assert response["statusCode"] == 200
        assert response["headers"] == CORS_JSON
        assert json.loads(response["body"]) == ORDER_JSON == ORDER.model_dump(mode="json")

    def test_a_list_of_models_is_a_json_array(self) -> None:
        response = respond([ORDER, ORDER])
        assert json.loads(response["body"]) == [ORDER_JSON, ORDER_JSON]

    def test_a_model_in_a_status_tuple_a_response_and_a_dict(self) -> None:
        created = respond((201, ORDER, {"Location": "/orders/1"}))
        assert (created["statusCode"], json.loads(created["body"])) == (201, ORDER_JSON)
        assert created["headers"]["Location"] == "/orders/1"
        explicit = respond(api.Response(202, [ORDER]))
        assert (explicit["statusCode"], json.loads(explicit["body"])) == (202, [ORDER_JSON])
        wrapped = respond({"order": ORDER, "count": 1})
        assert json.loads(wrapped["body"]) == {"order": ORDER_JSON, "count": 1}

    def test_the_models_own_serialisation_settings_apply(self) -> None:
        response = respond(Camel(user_id=7))
        assert response["body"] == '{"userId": 7}'

    def test_a_root_model_is_its_root_value(self) -> None:
        response = respond(pydantic.RootModel[list[int]]([1, 2]))
        assert response["body"] == "[1, 2]"

    def test_async_handler_encodes_a_model_like_the_sync_one(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return ORDER

        assert lambda_handler(rest_event(), None) == respond(ORDER)


def validate_with_pydantic(request: api.Request):
    return 201, NewUserModel.model_validate(request.body)


def validate_with_schema(request: api.Request):
    return 201, NewUserSchema.load(request.body)


BAD_BODY = '{"name": "Ana", "age": "thirty"}'


class TestValidationErrors:
    @pytest.mark.parametrize("make_event", [rest_event, http_event, alb_event])
    def test_a_pydantic_error_is_the_same_422_body_as_a_schema_error(self, make_event) -> None:
        event = make_event(body=BAD_BODY)
        from_pydantic = api.handler(validate_with_pydantic)(event, None)
        from_schema = api.handler(validate_with_schema)(event, None)
        assert from_pydantic["statusCode"] == from_schema["statusCode"] == 422
        assert from_pydantic["headers"] == from_schema["headers"]
        pyd, sch = json.loads(from_pydantic["body"]), json.loads(from_schema["body"])
        assert pyd["message"] == sch["message"] == "Validation failed"
        assert [e["path"] for e in pyd["errors"]] == [e["path"] for e in sch["errors"]] == ["age"]
        assert pyd["errors"][0]["message"].startswith("Input should be a valid integer")

    def test_nested_paths_use_the_schema_path_style(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return Order.model_validate(request.body)

        body = json.dumps(
            {
                "id": "not-a-uuid",
                "placed_at": "2026-01-02T03:04:05Z",
                "lines": [{"sku": "A", "price": "1"}, {"sku": "B", "price": "-1"}],
            }
        )
        response = lambda_handler(rest_event(body=body), None)
        assert response["statusCode"] == 422
        paths = [e["path"] for e in json.loads(response["body"])["errors"]]
        assert paths == ["id", "lines[1].price"]

    def test_the_rejected_input_never_reaches_the_client(self) -> None:
        class Login(pydantic.BaseModel):
            password: int

        @api.handler
        def lambda_handler(request: api.Request):
            return Login.model_validate(request.body)

        response = lambda_handler(rest_event(body='{"password": "hunter2-secret"}'), None)
        assert response["statusCode"] == 422
        assert "hunter2-secret" not in response["body"]

    def test_async_handler_answers_a_pydantic_error_with_422(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return NewUserModel.model_validate(request.body)

        response = lambda_handler(rest_event(body=BAD_BODY), None)
        assert response == api.handler(validate_with_pydantic)(rest_event(body=BAD_BODY), None)


class TestBodyAs:
    @pytest.mark.parametrize("model", [NewUserModel, NewUserSchema])
    def test_a_valid_body_becomes_the_model(self, model) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            user = request.body_as(model)
            assert isinstance(user, model)
            return 201, {"name": user.name, "age": user.age}

        response = lambda_handler(http_event(body='{"name": "Ana", "age": 30}'), None)
        assert (response["statusCode"], response["body"]) == (201, '{"name": "Ana", "age": 30}')

    def test_schema_and_pydantic_bodies_fail_with_the_same_response_shape(self) -> None:
        def answer(model):
            response = api.handler(lambda request: request.body_as(model))(
                rest_event(body=BAD_BODY), None
            )
            body = json.loads(response["body"])
            paths = [(e["path"], bool(e["message"])) for e in body["errors"]]
            return response["statusCode"], response["headers"], body["message"], paths

        assert answer(NewUserModel) == answer(NewUserSchema)
        assert answer(NewUserModel)[3] == [("age", True)]

    @pytest.mark.parametrize("model", [NewUserModel, NewUserSchema])
    def test_a_bad_body_raises_one_serpens_validation_error(self, model) -> None:
        request = api.Request(rest_event(body='{"name": 5}'))
        with pytest.raises(ValidationError) as info:
            request.body_as(model)
        assert [e.path for e in info.value.errors] == ["name", "age"]

    def test_the_pydantic_error_is_chained(self) -> None:
        with pytest.raises(ValidationError) as info:
            api.Request(rest_event(body="{}")).body_as(NewUserModel)
        assert isinstance(info.value.__cause__, pydantic.ValidationError)

    def test_malformed_json_is_a_400_before_validation(self) -> None:
        handler = api.handler(lambda request: request.body_as(NewUserModel))
        response = handler(rest_event(body='{"name": '), None)
        assert (response["statusCode"], response["body"]) == (
            400,
            '{"message": "Malformed JSON body"}',
        )

    def test_a_class_that_is_no_model_is_a_type_error(self) -> None:
        @dataclass
        class Plain:
            name: str

        with pytest.raises(TypeError, match="Schema dataclass or a pydantic model class"):
            api.Request(rest_event()).body_as(Plain)


def test_handlers_never_import_pydantic_for_plain_bodies() -> None:
    code = (
        "import sys, json\n"
        "from serpens import api\n"
        "from tests.serpens.api.events import rest_event\n"
        "h = api.handler(lambda r: {'ok': 1})\n"
        "bad = api.handler(lambda r: 1 / 0)\n"
        "assert h(rest_event(), None)['statusCode'] == 200\n"
        "assert bad(rest_event(), None)['statusCode'] == 500\n"
        "print(sorted({'pydantic', 'pydantic_core'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
