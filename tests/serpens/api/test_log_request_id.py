"""serpens.api's log records carry the request id with or without an OpenTelemetry SDK.

The 500 body gives the client ``request_id`` to quote; the log line it matches must carry
the same id even in a service that records no spans (docs/observability.md).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from serpens import _tracing, api
from serpens.errors import NotFoundError
from tests.serpens.api.events import http_event, rest_event


def _crash(request: api.Request) -> Any:
    raise RuntimeError("boom")


def _missing(request: api.Request) -> Any:
    raise NotFoundError("User id=42")


async def _async_crash(request: api.Request) -> Any:
    return _crash(request)


@pytest.mark.parametrize(
    "lambda_handler",
    [
        pytest.param(api.handler(_crash), id="handler"),
        pytest.param(api.async_handler(_async_crash), id="async_handler"),
    ],
)
@pytest.mark.parametrize("event", [rest_event(), http_event()], ids=["rest", "http"])
def test_a_500_and_its_log_line_name_the_same_request(
    caplog: pytest.LogCaptureFixture, lambda_handler: Any, event: dict[str, Any]
) -> None:
    assert not _tracing.recording()  # no SDK provider: the plain path
    with caplog.at_level(logging.INFO, logger="serpens.api"):
        response = lambda_handler(event, None)
    assert response["statusCode"] == 500
    request_id = api.Request(event).request_id
    assert request_id
    assert request_id in response["body"]
    (record,) = [r for r in caplog.records if r.name == "serpens.api"]
    assert record.__dict__["request_id"] == request_id


def test_a_4xx_log_line_names_the_request_and_the_tag_ends_with_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = rest_event()
    with caplog.at_level(logging.INFO, logger="serpens.api"):
        assert api.handler(_missing)(event, None)["statusCode"] == 404
    (record,) = [r for r in caplog.records if r.name == "serpens.api"]
    assert record.__dict__["request_id"] == api.Request(event).request_id
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="serpens.api"):
        logging.getLogger("serpens.api").info("after the invocation")
    assert caplog.records[0].__dict__["request_id"] is None
