from __future__ import annotations

import base64
import enum
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from serpens import api
from serpens.errors import ConflictError, HTTPStatusError, NotFoundError
from serpens.schema import Schema
from tests.serpens.api.events import ORIGIN, alb_event, http_event, rest_event

CORS_JSON = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


@dataclass
class Person(Schema):
    name: str
    age: int


class Color(enum.Enum):
    RED = "red"


def respond(result, event=None):
    @api.handler
    def lambda_handler(request: api.Request):
        return result

    return lambda_handler(rest_event() if event is None else event, None)


def fail(exc: Exception, event=None):
    @api.handler
    def lambda_handler(request: api.Request):
        raise exc

    return lambda_handler(rest_event() if event is None else event, None)


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


class TestErrorResponses:
    def test_unexpected_errors_are_500_with_a_generic_message(self, caplog) -> None:
        caplog.set_level(logging.ERROR, logger="serpens.api")
        response = fail(RuntimeError("password=hunter2 in a stack"))
        assert response["statusCode"] == 500
        assert response["headers"] == CORS_JSON
        body = json.loads(response["body"])
        assert body == {
            "message": "Internal server error",
            "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        }
        assert "hunter2" not in response["body"]
        assert "RuntimeError" in caplog.text
        assert caplog.records[0].exc_info is not None

    def test_malformed_json_body_is_a_400(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return request.body

        response = lambda_handler(rest_event(body='{"name": '), None)
        assert response["statusCode"] == 400
        assert json.loads(response["body"]) == {"message": "Malformed JSON body"}
        assert response["headers"] == CORS_JSON

    def test_schema_validation_is_a_422_with_field_paths(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return Person.load(request.body)

        response = lambda_handler(rest_event(body='{"name": 1, "age": true}'), None)
        assert response["statusCode"] == 422
        assert json.loads(response["body"]) == {
            "message": "Validation failed",
            "errors": [
                {"path": "name", "message": "must be of type str, got integer"},
                {"path": "age", "message": "must be of type int, got boolean"},
            ],
        }

    def test_not_found_is_a_404_and_conflict_a_409(self) -> None:
        assert fail(NotFoundError("User id=42")) == {
            "statusCode": 404,
            "body": '{"message": "User id=42"}',
            "headers": CORS_JSON,
        }
        assert fail(ConflictError("email taken"))["statusCode"] == 409

    def test_http_error_uses_its_status_message_code_and_headers(self) -> None:
        exc = api.HTTPError(
            429,
            "Slow down",
            code="rate_limited",
            details={"retry": 3},
            headers={"Retry-After": "3"},
        )
        response = fail(exc)
        assert response["statusCode"] == 429
        assert json.loads(response["body"]) == {
            "message": "Slow down",
            "code": "rate_limited",
            "details": {"retry": 3},
        }
        assert response["headers"]["Retry-After"] == "3"

    def test_http_error_rejects_non_error_statuses(self) -> None:
        with pytest.raises(ValueError, match="4xx or 5xx"):
            api.HTTPError(200, "fine")

    def test_upstream_http_status_error_is_a_502_without_the_url(self) -> None:
        response = fail(HTTPStatusError(503, "https://user:pw@peer.internal/v1/x"))
        assert response["statusCode"] == 502
        assert "peer.internal" not in response["body"]
        assert json.loads(response["body"])["message"] == "Bad gateway"

    def test_unencodable_body_is_a_500(self) -> None:
        response = respond({"x": object()})
        assert response["statusCode"] == 500
        assert json.loads(response["body"])["message"] == "Internal server error"

    def test_nan_body_is_a_500_not_invalid_json(self) -> None:
        assert respond({"x": float("nan")})["statusCode"] == 500

    def test_invalid_status_is_a_500(self) -> None:
        assert respond((999, {}))["statusCode"] == 500

    @pytest.mark.parametrize(
        "result",
        [
            pytest.param((404,), id="status-only"),
            pytest.param((200, {}, {}, "extra"), id="four-items"),
        ],
    )
    def test_a_status_tuple_of_the_wrong_length_is_a_logged_500(self, result, caplog) -> None:
        caplog.set_level(logging.ERROR, logger="serpens.api")
        response = respond(result)
        assert response["statusCode"] == 500
        assert json.loads(response["body"])["message"] == "Internal server error"
        assert "handler failed with TypeError" in caplog.text
        assert "(status, body)" in str(caplog.records[0].exc_info[1])

    def test_a_validation_error_s_own_text_is_not_sent(self, tmp_path) -> None:
        """The database's not-null text reaches the handler as a ValidationError."""
        sa = pytest.importorskip("sqlalchemy")
        from serpens_sqlalchemy import translate_errors  # noqa: PLC0415

        engine = sa.create_engine(f"sqlite:///{tmp_path / 'users.db'}")
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE users (email TEXT NOT NULL)")

        @api.handler
        def lambda_handler(request: api.Request):
            with engine.begin() as connection, translate_errors():
                connection.exec_driver_sql("INSERT INTO users (email) VALUES (NULL)")

        try:
            response = lambda_handler(rest_event(), None)
        finally:
            engine.dispose()
        assert response["statusCode"] == 422
        assert json.loads(response["body"]) == {"message": "Validation failed", "errors": []}
        assert "users" not in response["body"]

    def test_non_mapping_event_is_a_400(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return {}

        assert lambda_handler("not an event", None)["statusCode"] == 400  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "key",
        [
            "requestContext",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
        ],
    )
    @pytest.mark.parametrize("decorator", [api.handler, api.async_handler], ids=["sync", "async"])
    def test_an_event_part_that_is_not_an_object_is_a_400(self, key, decorator) -> None:
        calls = []

        async def async_func(request: api.Request):
            calls.append(request)

        def sync_func(request: api.Request):
            calls.append(request)

        entry = decorator(sync_func if decorator is api.handler else async_func)
        response = entry({**rest_event(), key: ["not", "an", "object"]}, None)
        assert response["statusCode"] == 400
        assert json.loads(response["body"]) == {"message": "Unsupported event"}
        assert response["headers"] == CORS_JSON
        assert calls == []

    def test_an_event_the_error_path_cannot_read_still_gets_an_answer(self) -> None:
        @api.handler(cors_origins=[ORIGIN])
        def lambda_handler(request: api.Request):
            return {}

        response = lambda_handler({**rest_event(), "headers": {1: "not a header name"}}, None)
        assert response["statusCode"] == 400  # not an API Gateway event: a client error
        assert json.loads(response["body"]) == {
            "message": "Unsupported event: header names and values must be strings"
        }
        assert response["headers"] == {"Vary": "Origin", "Content-Type": "application/json"}


class TestCookies:
    def test_request_cookies_from_http_api_list_and_cookie_header(self) -> None:
        assert api.Request(http_event()).cookies == {"session": "abc"}
        headers = {"Cookie": "a=1; b=two=2", "Content-Type": "application/json"}
        assert api.Request(rest_event(headers=headers)).cookies == {"a": "1", "b": "two=2"}

    @pytest.mark.parametrize(
        ("event", "expected"),
        [
            pytest.param(http_event(), {"cookies": ["a=1", "b=2"]}, id="http-v2"),
            pytest.param(
                rest_event(), {"multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}, id="rest-v1"
            ),
            pytest.param(
                alb_event(multi_value=True),
                {
                    "multiValueHeaders": {
                        **{k: [v] for k, v in CORS_JSON.items()},
                        "Set-Cookie": ["a=1", "b=2"],
                    }
                },
                id="alb-multi-value",
            ),
        ],
    )
    def test_response_cookies_use_each_sources_shape(self, event, expected) -> None:
        response = respond(api.Response(200, {}, cookies=["a=1", "b=2"]), event)
        for key, value in expected.items():
            assert response[key] == value

    def test_alb_without_multi_value_mode_sends_the_last_cookie(self) -> None:
        response = respond(api.Response(200, {}, cookies=["a=1", "b=2"]), alb_event())
        assert response["headers"]["Set-Cookie"] == "b=2"


class TestPreflight:
    def _preflight(self, headers):
        return http_event(method="OPTIONS", body=None, headers=headers)

    def test_preflight_is_answered_without_calling_the_handler(self) -> None:
        calls = []

        @api.handler
        def lambda_handler(request: api.Request):
            calls.append(request)
            return {}

        response = lambda_handler(
            self._preflight(
                {
                    "origin": ORIGIN,
                    "access-control-request-method": "PUT",
                    "access-control-request-headers": "content-type,x-api-key",
                }
            ),
            None,
        )
        assert calls == []
        assert response["statusCode"] == 204
        assert response["headers"]["Access-Control-Allow-Origin"] == "*"
        assert response["headers"]["Access-Control-Allow-Methods"] == "PUT"
        assert response["headers"]["Access-Control-Allow-Headers"] == "content-type,x-api-key"

    def test_plain_options_and_disabled_cors_reach_the_handler(self) -> None:
        @api.handler(cors_origins=None)
        def no_cors(request: api.Request):
            return {"handled": request.method}

        @api.handler
        def with_cors(request: api.Request):
            return {"handled": request.method}

        preflight = self._preflight({"origin": ORIGIN, "access-control-request-method": "PUT"})
        assert json.loads(no_cors(preflight, None)["body"]) == {"handled": "OPTIONS"}
        assert "Access-Control-Allow-Origin" not in no_cors(preflight, None)["headers"]
        plain_options = self._preflight({"origin": ORIGIN})
        assert json.loads(with_cors(plain_options, None)["body"]) == {"handled": "OPTIONS"}

    def test_preflight_from_an_origin_outside_the_allow_list_gets_no_grant(self) -> None:
        @api.handler(cors_origins=[ORIGIN])
        def lambda_handler(request: api.Request):
            return {}

        response = lambda_handler(
            self._preflight(
                {"origin": "https://evil.test", "access-control-request-method": "PUT"}
            ),
            None,
        )
        assert response["statusCode"] == 204
        assert "Access-Control-Allow-Methods" not in response["headers"]


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
