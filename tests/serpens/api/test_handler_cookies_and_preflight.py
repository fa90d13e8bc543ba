"""api.handler's cookies, both ways, and its answer to a CORS preflight.

Request cookies from the HTTP API list or the Cookie header; response cookies in the
shape each event source takes; an OPTIONS preflight answered without the handler.
"""

from __future__ import annotations

import json

import pytest

from serpens import api
from tests.serpens.api._responses import CORS_JSON, respond
from tests.serpens.api.events import ORIGIN, alb_event, http_event, rest_event


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
