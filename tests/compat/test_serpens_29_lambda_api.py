"""Code written for serpens 2.9.0 keeps running unchanged: ``serpens.api``.

Each test is a 2.9.0 Lambda API call site: the README's handler and request fields,
status tuples, ``Response`` objects, awaited handlers and ``AttrDict``.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from serpens import api
from tests.compat._lambda_events import _event


class TestLambdaApi:
    def test_the_readme_handler_and_request_fields(self) -> None:
        seen: dict[str, Any] = {}

        @api.handler
        def lambda_handler(request: api.Request):
            seen["body"] = request.body
            seen["user_id"] = request.path.user_id  # AttrDict shortcut
            seen["page"] = request.query["page"]
            seen["authorizer"] = request.authorizer
            seen["identity"] = request.identity
            seen["headers"] = request.headers
            return {"ok": True}

        response = lambda_handler(_event(), None)
        assert list(response) == ["statusCode", "body", "headers"]
        assert response["statusCode"] == 200
        assert json.loads(response["body"]) == {"ok": True}
        assert response["headers"]["Access-Control-Allow-Origin"] == "*"
        assert seen["body"] == {"name": "Mike"}
        assert (seen["user_id"], seen["page"]) == ("42", "2")

    def test_vars_of_the_headers_has_the_names_as_sent(self) -> None:
        seen: dict[str, Any] = {}

        @api.handler
        def lambda_handler(request: api.Request):
            seen["vars"] = vars(request.headers)  # 2.9.0: the AttrDict's attributes
            seen["lookups"] = (request.headers["Content-Type"], request.headers.get("Content-Type"))
            seen["insensitive"] = (request.headers["content-type"], request.headers.content_type)
            return {"ok": True}

        event = _event()
        event["headers"] = {"Content-Type": "application/json", "X-Request-Id": "r1"}
        assert lambda_handler(event, None)["statusCode"] == 200
        assert seen["vars"] == {"Content-Type": "application/json", "X-Request-Id": "r1"}
        assert seen["lookups"] == ("application/json", "application/json")
        assert seen["insensitive"] == ("application/json", "application/json")

    def test_status_body_tuples_and_response_objects(self) -> None:
        @api.handler
        def created(request: api.Request):
            return 201, {"id": 1}

        @api.handler
        def explicit(request: api.Request):
            return api.Response(statusCode=202, body={"queued": True})

        assert created(_event(), None)["statusCode"] == 201
        assert explicit(_event(), None)["statusCode"] == 202
        response = api.Response(200, {"a": 1})
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # 2.9.0's headers

    def test_async_handler(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return {"echo": request.body}

        assert json.loads(lambda_handler(_event(), None)["body"]) == {"echo": {"name": "Mike"}}

    def test_errors_answer_500_with_a_message_key(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            raise RuntimeError("database password is hunter2")

        response = lambda_handler(_event(), None)
        assert response["statusCode"] == 500
        body = json.loads(response["body"])
        assert "message" in body
        assert "hunter2" not in response["body"]  # deliberate: no exception text


class TestLambdaApiObjects:
    """2.9.0 call sites on the Lambda API's objects: awaited handlers, AttrDict, Response."""

    async def test_an_async_handler_is_awaited_in_a_running_loop(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return 201, {"echo": request.body}

        response = await lambda_handler(_event(), {})  # 2.9.0's own tests awaited the call
        assert response["statusCode"] == 201
        assert json.loads(response["body"]) == {"echo": {"name": "Mike"}}

    def test_http_api_query_keeps_api_gateway_s_comma_joined_value(self) -> None:
        event = {
            "version": "2.0",
            "rawQueryString": "tag=a&tag=b",
            "queryStringParameters": {"tag": "a,b"},  # what API Gateway sends
        }
        assert api.Request(event).query.tag == "a,b"

    def test_attr_dict_reads_like_2_9_s_plain_object(self) -> None:
        request = api.Request(_event())
        assert vars(request.query) == {"page": "2"}
        assert request.query.__dict__ == {"page": "2"}
        try:
            request.query["missing"]
        except AttributeError:  # 2.9.0: __getitem__ was getattr
            pass
        else:
            pytest.fail("a missing key did not raise")
        request.path.extra = 1
        assert request.path.extra == 1
        del request.path.extra
        assert "extra" not in request.path

    def test_response_status_body_and_headers_are_assignable(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            response = api.Response()
            response.statusCode = 201  # as 2.9.0's _build_response did
            response.body = {"id": 1}
            response.headers = {"Location": "/users/1"}
            return response

        response = lambda_handler(_event(), None)
        assert (response["statusCode"], response["body"]) == (201, '{"id": 1}')
        assert response["headers"]["Location"] == "/users/1"

    def test_a_one_item_status_tuple_is_a_500(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return (404,)  # 2.9.0: IndexError, a 500

        assert lambda_handler(_event(), None)["statusCode"] == 500

    def test_the_shared_response_helpers_keep_their_2_9_signatures(self) -> None:
        built = api._build_response((201, {"id": 1}))
        assert (built["statusCode"], built["body"]) == (201, '{"id": 1}')
        failed = api._error_response(RuntimeError("password is hunter2"))
        assert failed["statusCode"] == 500
        assert "hunter2" not in failed["body"]  # deliberate: no exception text
