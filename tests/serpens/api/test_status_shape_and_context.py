"""Status bounds, ALB shapes, header overrides and the Lambda context (no network).

Pinned: statuses 100 and 599 are valid (both ends), 99 and 600 are a 500; an ALB's
``statusDescription`` for a status without a standard phrase is the number alone; an ALB
target without multi-value mode sends the *last* of several cookies; a ``content-type``
header the handler returns (any case) replaces the JSON one instead of adding a second;
the context the runtime passes reaches ``request.context`` (sync, async, and async
awaited from a running loop); an event or request context that is a read-only mapping
is read like a ``dict`` (an ALB's included); an error answer to an ALB target has its shape.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from serpens import api
from tests.serpens.api.events import alb_event, rest_event


def _returning(result: Any) -> api.LambdaHandler:
    return api.handler(lambda request: result)


@pytest.mark.parametrize("status", [100, 599])
def test_both_ends_of_the_status_range_are_sent(status: int) -> None:
    assert _returning((status, ""))(rest_event(), None)["statusCode"] == status


@pytest.mark.parametrize("status", [99, 600])
def test_a_status_outside_the_range_is_a_500(status: int) -> None:
    assert _returning((status, ""))(rest_event(), None)["statusCode"] == 500
    with pytest.raises(ValueError, match=f"invalid HTTP status {status}"):
        api._build_response((status, ""))


def test_an_alb_status_without_a_phrase_is_described_by_its_number() -> None:
    response = _returning((599, {}))(alb_event(), None)
    assert response["statusDescription"] == "599"


def test_an_alb_target_without_multi_value_mode_sends_the_last_of_three_cookies() -> None:
    result = api.Response(200, {}, cookies=["a=1", "b=2", "c=3"])
    assert _returning(result)(alb_event(), None)["headers"]["Set-Cookie"] == "c=3"


@pytest.mark.parametrize("name", ["content-type", "Content-Type", "CONTENT-TYPE"])
def test_a_returned_content_type_replaces_the_json_one(name: str) -> None:
    response = _returning((200, "<p>hi</p>", {name: "text/html"}))(rest_event(), None)
    assert response["headers"] == {
        "Access-Control-Allow-Origin": "*",
        "Content-Type": "text/html",
    }


class _Context:
    aws_request_id = "lambda-req-1"


def _returning_context_check(decorator: Any, context: object) -> Any:
    if decorator is api.handler:

        def same(request: api.Request) -> dict[str, bool]:
            return {"same": request.context is context}

        return api.handler(same)

    async def same_async(request: api.Request) -> dict[str, bool]:
        return {"same": request.context is context}

    return api.async_handler(same_async)


@pytest.mark.parametrize("decorator", [api.handler, api.async_handler], ids=["sync", "async"])
def test_the_lambda_context_reaches_the_request(decorator: Any) -> None:
    context = _Context()
    response = _returning_context_check(decorator, context)(rest_event(), context)
    assert response["body"] == '{"same": true}'


def test_the_lambda_context_reaches_the_request_when_awaited_in_a_running_loop() -> None:
    context = _Context()
    handler = _returning_context_check(api.async_handler, context)

    async def main() -> dict[str, Any]:
        return await handler(rest_event(), context)  # type: ignore[no-any-return]

    assert asyncio.run(main())["body"] == '{"same": true}'


def test_a_read_only_event_and_request_context_are_read_as_mappings() -> None:
    event = alb_event(method="GET")
    event["requestContext"] = types.MappingProxyType(event["requestContext"])
    request = api.Request(types.MappingProxyType(event))
    assert request.source == "alb"
    assert request.method == "GET"


def test_an_error_answer_to_an_alb_target_has_the_alb_shape() -> None:
    def respond(request: api.Request) -> Any:
        raise api.HTTPError(404, "No such order")

    response = api.handler(respond)(alb_event(), None)
    assert response["statusCode"] == 404
    assert response["statusDescription"] == "404 Not Found"
    assert response["isBase64Encoded"] is False
