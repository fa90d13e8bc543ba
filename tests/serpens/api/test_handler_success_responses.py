"""api.handler's answers to what a handler returns, and serpens 2.9's shared builders.

Dicts, status tuples, ``api.Response``, schemas, bytes and scalars become the proxy
response of each event source (REST, HTTP API, ALB), with their CORS headers;
``api._build_response`` and ``api._error_response`` send what a handler would.
"""

from __future__ import annotations

import base64
import enum
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from serpens import api
from serpens.errors import NotFoundError
from tests.serpens.api._responses import CORS_JSON, Person, fail, respond
from tests.serpens.api.events import ORIGIN, alb_event, http_event


class Color(enum.Enum):
    RED = "red"


class TestSuccessResponses:
    def test_a_dict_is_a_200_json_response_in_the_original_key_order(self) -> None:
        response = respond({"name": "Mike"})
        assert response == {"statusCode": 200, "body": '{"name": "Mike"}', "headers": CORS_JSON}
        assert list(response) == ["statusCode", "body", "headers"]

    def test_status_body_pair_keeps_the_original_order(self) -> None:
        response = respond((201, {"id": 7}))
        assert response["statusCode"] == 201
        assert json.loads(response["body"]) == {"id": 7}

    def test_status_body_headers_triple_adds_headers(self) -> None:
        response = respond((202, [1], {"Location": "/jobs/1"}))
        assert response["statusCode"] == 202
        assert response["headers"] == {**CORS_JSON, "Location": "/jobs/1"}

    def test_schema_and_lists_of_dataclasses_are_encoded(self) -> None:
        assert json.loads(respond(Person("Mike", 18))["body"]) == {"name": "Mike", "age": 18}
        people = [Person("A", 1), Person("B", 2)]
        assert json.loads(respond(people)["body"]) == [
            {"name": "A", "age": 1},
            {"name": "B", "age": 2},
        ]

    def test_special_types_go_through_the_schema_encoder(self) -> None:
        ident = uuid.UUID(int=1)
        body = {
            "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "day": date(2024, 1, 2),
            "price": Decimal("19.99"),
            "big": Decimal("12345678901234567890.5"),
            "id": ident,
            "color": Color.RED,
        }
        assert json.loads(respond(body)["body"]) == {
            "at": "2024-01-02T03:04:05+00:00",
            "day": "2024-01-02",
            "price": 19.99,
            "big": "12345678901234567890.5",
            "id": str(ident),
            "color": "red",
        }

    def test_response_object_serialises_its_body_and_merges_headers(self) -> None:
        response = respond(api.Response(201, {"a": 1}, {"Content-Type": "application/hal+json"}))
        assert response == {
            "statusCode": 201,
            "body": '{"a": 1}',
            "headers": {"Access-Control-Allow-Origin": "*", "Content-Type": "application/hal+json"},
        }

    def test_response_headers_include_cors_as_in_2_9(self) -> None:
        assert api.Response(200, {"a": 1}).headers == {"Access-Control-Allow-Origin": "*"}
        own = api.Response(200, "", {"access-control-allow-origin": "https://a.example"})
        assert own.headers == {"access-control-allow-origin": "https://a.example"}
        extra = api.Response(201, "", {"X-Trace": "t1"}).headers
        assert extra == {"Access-Control-Allow-Origin": "*", "X-Trace": "t1"}

    def test_the_default_cors_header_of_a_response_yields_to_the_handler_policy(self) -> None:
        @api.handler(cors_origins=["https://app.example"])
        def allow_listed(request: api.Request) -> api.Response:
            return api.Response(200, {"ok": True})

        @api.handler(cors_origins=None)
        def no_cors(request: api.Request) -> api.Response:
            return api.Response(200, {"ok": True})

        other = {"httpMethod": "GET", "headers": {"Origin": "https://evil.example"}}
        assert "Access-Control-Allow-Origin" not in allow_listed(other, None)["headers"]
        assert "Access-Control-Allow-Origin" not in no_cors(other, None)["headers"]
        mine = {"httpMethod": "GET", "headers": {"Origin": "https://app.example"}}
        sent = allow_listed(mine, None)["headers"]
        assert sent["Access-Control-Allow-Origin"] == "https://app.example"

    def test_response_accepts_the_original_status_code_keyword(self) -> None:
        legacy = api.Response(statusCode=204, body="")
        assert legacy.statusCode == 204
        assert legacy.to_dict() == {"statusCode": 204, "body": "", "headers": CORS_JSON}
        assert legacy.to_dict() is not legacy.to_dict()

    def test_response_attributes_can_be_assigned_as_in_2_9(self) -> None:
        response = api.Response(body="x")
        response.statusCode = 201  # serpens 2.9's own _build_response did this
        response.body = {"id": 1}
        response.headers = {"Location": "/users/1"}
        assert (response.status_code, response.statusCode) == (201, 201)
        assert response.headers == {"Access-Control-Allow-Origin": "*", "Location": "/users/1"}
        assert respond(response) == {
            "statusCode": 201,
            "body": '{"id": 1}',
            "headers": {**CORS_JSON, "Location": "/users/1"},
        }

    def test_assigned_headers_mean_what_constructor_headers_mean(self) -> None:
        @api.handler(cors_origins=["https://app.example"])
        def lambda_handler(request: api.Request) -> api.Response:
            response = api.Response(200, {})
            response.headers = {"Access-Control-Allow-Origin": "https://mine.example"}
            return response

        constructed = api.Response(200, {}, {"Access-Control-Allow-Origin": "https://mine.example"})
        assigned = api.Response(200, {})
        assigned.headers = {"Access-Control-Allow-Origin": "https://mine.example"}
        assert assigned.headers == constructed.headers
        assert respond(assigned) == respond(constructed)
        sent = lambda_handler({"httpMethod": "GET"}, None)["headers"]
        assert sent["Access-Control-Allow-Origin"] == "https://mine.example"

    def test_strings_pass_through_and_scalars_are_json(self) -> None:
        assert respond('{"raw": true}')["body"] == '{"raw": true}'
        assert respond(None)["body"] == ""
        assert respond(3)["body"] == "3"
        assert respond(True)["body"] == "true"
        assert respond(("a", 1))["body"] == '["a", 1]'
        assert respond((True, 1))["body"] == "[true, 1]"  # a bool is not a status

    def test_bytes_are_base64_encoded(self) -> None:
        response = respond(b"\x00\xff")
        assert response["isBase64Encoded"] is True
        assert base64.b64decode(response["body"]) == b"\x00\xff"
        assert response["headers"]["Content-Type"] == "application/octet-stream"

    def test_alb_responses_carry_a_status_description(self) -> None:
        response = respond((201, {}), alb_event())
        assert response["statusDescription"] == "201 Created"
        assert response["isBase64Encoded"] is False

    def test_alb_multi_value_mode_answers_with_multi_value_headers(self) -> None:
        response = respond({}, alb_event(multi_value=True))
        assert "headers" not in response
        assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]

    def test_cors_allow_list_echoes_known_origins_only(self) -> None:
        @api.handler(cors_origins=[ORIGIN])
        def lambda_handler(request: api.Request):
            return {}

        allowed = lambda_handler(http_event(), None)["headers"]
        assert allowed["Access-Control-Allow-Origin"] == ORIGIN
        assert allowed["Vary"] == "Origin"
        other = lambda_handler(http_event(headers={"origin": "https://evil.test"}), None)
        assert "Access-Control-Allow-Origin" not in other["headers"]

    def test_decorating_a_coroutine_function_is_a_type_error(self) -> None:
        async def handler(request: api.Request) -> None: ...

        with pytest.raises(TypeError, match="async_handler"):
            api.handler(handler)


class TestSharedHelpersOf29:
    """``api._build_response(result)`` and ``api._error_response(ex)``, as serpens 2.9 had."""

    @pytest.mark.parametrize(
        "result",
        [
            pytest.param({"name": "Mike"}, id="dict"),
            pytest.param((201, [1]), id="pair"),
            pytest.param((202, {}, {"Location": "/x"}), id="triple"),
            pytest.param(api.Response(204), id="response"),
            pytest.param(b"\x00", id="bytes"),
        ],
    )
    def test_build_response_is_what_a_handler_sends(self, result) -> None:
        assert api._build_response(result) == respond(result, {"httpMethod": "GET"})

    def test_build_response_raises_what_a_handler_turns_into_a_500(self) -> None:
        with pytest.raises(TypeError):
            api._build_response((404,))

    @pytest.mark.parametrize(
        "exc",
        [
            pytest.param(RuntimeError("password=hunter2"), id="crash"),
            pytest.param(NotFoundError("User id=42"), id="not-found"),
            pytest.param(api.HTTPError(403, "Forbidden"), id="http-error"),
        ],
    )
    def test_error_response_is_what_a_handler_sends(self, exc) -> None:
        assert api._error_response(exc) == fail(exc, {"httpMethod": "GET"})
        assert "hunter2" not in api._error_response(exc)["body"]
