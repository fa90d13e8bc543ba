"""The exact wording of the in-memory HTTP client's errors.

A closed client, refused connections, headers, methods, redirects, timeouts (a NaN one, a
spent one), bodies (content= with json=) and responses.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import pytest

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    HTTPStatusError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import InMemoryHttpClient, InMemoryResponse, RecordedRequest
from tests.serpens.fakes.error_messages._error_cases import _down, _observed


def _ok(request: RecordedRequest) -> InMemoryResponse:
    return InMemoryResponse(text="ok")


def _redirect_forever(request: RecordedRequest) -> InMemoryResponse:
    return InMemoryResponse(302, headers={"Location": "/loop"})


async def _too_slow(request: RecordedRequest) -> InMemoryResponse:
    await asyncio.sleep(1)
    return InMemoryResponse()


async def _request_after_close() -> None:
    client = InMemoryHttpClient(_ok)
    await client.aclose()
    await client.get("/")


async def _text_read_as_json() -> None:
    response = await InMemoryHttpClient(_ok).get("/page")
    response.json()


async def _status_raised() -> None:
    client = InMemoryHttpClient(lambda request: InMemoryResponse(404))
    response = await client.get("http://user:s3cret@testserver/items?token=abc")
    response.raise_for_status()


HTTP_CASES = [
    pytest.param(
        _request_after_close,
        BackendUnavailableError,
        "the HTTP client is closed",
        [],
        id="http-client-closed",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("https://user:s3cret@other.test/x?api_key=k"),
        BackendUnavailableError,
        "connection refused: https://user:***@other.test/x?api_key=***",
        [],
        id="http-connection-refused-other-origin",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", headers={"X-A": "v\r\nX-B: 1"}),
        ValidationError,
        "invalid header: headers['X-A']: a value is tab and printable ASCII only (no CR, LF"
        " or other control character; encode other text, e.g. RFC 8187 or base64)",
        [
            (
                "headers['X-A']",
                (
                    "a value is tab and printable ASCII only (no CR, LF or other control"
                    " character; encode other text, e.g. RFC 8187 or base64)"
                ),
            )
        ],
        id="http-header-injection",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", headers={"X A": "v"}),
        ValidationError,
        "invalid header: headers: not an HTTP token: 'X A'",
        [("headers", "not an HTTP token: 'X A'")],
        id="http-header-name-not-a-token",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).request("GE T", "/x"),
        ValidationError,
        "invalid HTTP method: method: not an HTTP token: 'GE T'",
        [("method", "not an HTTP token: 'GE T'")],
        id="http-method-not-a-token",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", params={"q": "\ud800"}),
        ValidationError,
        "invalid query parameter: params['q']: no UTF-8 form (a lone surrogate)",
        [("params['q']", "no UTF-8 form (a lone surrogate)")],
        id="http-query-lone-surrogate",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_redirect_forever, max_redirects=2).get(
            "/start", follow_redirects=True
        ),
        BackendError,
        "more than 2 redirects from http://testserver/loop",
        [],
        id="http-too-many-redirects",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_too_slow).get("/slow?password=p", timeout=0.01),
        BackendTimeoutError,
        "GET http://testserver/slow?password=*** timed out",
        [],
        id="http-request-timed-out",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).post("/x", content=b"a", json={"a": 1}),
        ValidationError,
        "ambiguous request body: content: give content= or json=, not both",
        [("content", "give content= or json=, not both")],
        id="http-content-and-json",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", timeout=math.nan),
        ValidationError,
        "invalid timeout: timeout: not a number of seconds: nan",
        [("timeout", "not a number of seconds: nan")],
        id="http-timeout-nan",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x?password=p", timeout=0),
        BackendTimeoutError,
        "GET http://testserver/x?password=*** timed out: its timeout (0 s) is not > 0",
        [],
        id="http-timeout-spent",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).post("/items", json={"at": object()}),
        SerializationError,
        "request body is not JSON-serialisable: Object of type object is not JSON serializable",
        [],
        id="http-request-body-not-json",
    ),
    pytest.param(
        _text_read_as_json,
        SerializationError,
        "response from http://testserver/page is not JSON",
        [],
        id="http-response-not-json",
    ),
    pytest.param(
        _status_raised,
        HTTPStatusError,
        "HTTP 404 from http://user:***@testserver/items?token=***",
        [],
        id="http-raise-for-status",
    ),
    pytest.param(
        lambda: InMemoryResponse(headers={"X-Id": "7"}).headers["x-missing"],
        KeyError,
        "'x-missing'",
        [],
        id="http-header-missing",
    ),
    pytest.param(
        InMemoryHttpClient,
        TypeError,
        "pass exactly one of handler= or app=",
        [],
        id="http-client-without-handler-or-app",
    ),
    pytest.param(
        lambda: _down(InMemoryHttpClient(_ok)).get("/"),
        BackendUnavailableError,
        "InMemoryHttpClient: simulated outage, the backend is unreachable",
        [],
        id="http-outage",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), HTTP_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
