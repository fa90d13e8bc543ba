"""api.handler's answers to what a handler raises, and to events it cannot read.

Each error maps to its status (400, 404, 409, 422, 429, 500, 502); the body of an
unexpected error, an upstream failure or a database refusal never carries its text, a
URL or a table name. An event that is not an API Gateway event is a 400 before the
handler runs.
"""

from __future__ import annotations

import json
import logging

import pytest

from serpens import api
from serpens.errors import ConflictError, HTTPStatusError, NotFoundError
from tests.serpens.api._responses import CORS_JSON, Person, fail, respond
from tests.serpens.api.events import ORIGIN, rest_event


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
