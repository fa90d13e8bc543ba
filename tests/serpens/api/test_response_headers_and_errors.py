"""Response details of ``api.handler`` the other modules leave open (no network).

Pinned: a CORS preflight's whole header set (an allow-listed origin echoed, the method
and headers asked for granted, ``Max-Age`` 600, a JSON ``Content-Type``, an empty body)
and its shape on an ALB target (``statusDescription``); an allow-listed origin echoed on
an error response too; an ``Access-Control-Allow-Origin`` a ``Response`` sets itself is
sent as set; a ``NotFoundError`` without text answers ``Not found``; a multi-value header
that is not a list is a 400; multi-value header values are kept as sent (never
URL-decoded, unlike an ALB's query string).
"""

from __future__ import annotations

import json
from typing import Any

from serpens import api
from serpens.errors import NotFoundError
from tests.serpens.api.events import ORIGIN, alb_event, rest_event

PREFLIGHT_ASK = {
    "origin": ORIGIN,
    "access-control-request-method": "PUT",
    "access-control-request-headers": "content-type,x-api-key",
}


def _allow_listed(result: Any = None, exc: Exception | None = None) -> api.LambdaHandler:
    def respond(request: api.Request) -> Any:
        if exc is not None:
            raise exc
        return result

    return api.handler(cors_origins=[ORIGIN])(respond)


def _preflight(event: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    event["httpMethod"] = "OPTIONS"
    event["headers"] = headers
    event["multiValueHeaders"] = None
    event["body"] = None
    return event


def test_a_preflight_from_an_allow_listed_origin_gets_the_whole_grant() -> None:
    response = _allow_listed({})(_preflight(rest_event(), PREFLIGHT_ASK), None)
    assert response == {
        "statusCode": 204,
        "body": "",
        "headers": {
            "Access-Control-Allow-Origin": ORIGIN,
            "Vary": "Origin",
            "Content-Type": "application/json",
            "Access-Control-Allow-Methods": "PUT",
            "Access-Control-Allow-Headers": "content-type,x-api-key",
            "Access-Control-Max-Age": "600",
        },
    }


def test_a_preflight_asking_no_headers_is_granted_any() -> None:
    ask = {"origin": ORIGIN, "access-control-request-method": "GET"}
    response = _allow_listed({})(_preflight(rest_event(), ask), None)
    assert response["headers"]["Access-Control-Allow-Headers"] == "*"


def test_a_preflight_to_an_alb_target_has_the_alb_shape() -> None:
    event = alb_event()
    event["httpMethod"] = "OPTIONS"
    event["headers"] = PREFLIGHT_ASK
    response = api.handler(lambda request: {})(event, None)
    assert response["statusCode"] == 204
    assert response["statusDescription"] == "204 No Content"
    assert response["isBase64Encoded"] is False


def test_an_error_response_echoes_an_allow_listed_origin() -> None:
    handler = _allow_listed(exc=api.HTTPError(403, "Not your order"))
    response = handler(rest_event(), None)
    assert response["statusCode"] == 403
    assert response["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert response["headers"]["Vary"] == "Origin"


def test_an_allow_origin_the_response_sets_itself_is_sent_as_set() -> None:
    """Even ``*`` with CORS off: it is the handler's own header, not the default one."""

    def respond(request: api.Request) -> api.Response:
        return api.Response(200, {}, headers={"Access-Control-Allow-Origin": "*"})

    response = api.handler(cors_origins=None)(respond)(rest_event(), None)
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"


def test_a_not_found_error_without_text_answers_not_found() -> None:
    response = _allow_listed(exc=NotFoundError())(rest_event(), None)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"message": "Not found"}


def test_a_multi_value_header_that_is_not_a_list_is_a_400() -> None:
    def respond(request: api.Request) -> Any:
        return dict(request.headers)

    event = rest_event()
    event["headers"] = None
    event["multiValueHeaders"] = {"X-Api-Key": "k1"}
    assert api.handler(respond)(event, None)["statusCode"] == 400


def test_multi_value_header_values_are_kept_as_sent() -> None:
    event = rest_event(headers={"X-Tag": "a%20b+c"})
    request = api.Request(event)
    assert request.multi_headers["x-tag"] == ["a%20b+c"]
    assert request.headers["x-tag"] == "a%20b+c"
