"""What an error response leaves behind: its log line and its elastic-apm context.

A 4xx answer logs one INFO line, ``handler answered <status>: <error type>``. An error
whose ``details`` have no JSON form still answers, with its message alone. With an
elastic-apm client configured in code (``capture_body="all"``, no environment variable)
the response body goes to the transaction; an unexpected error sets the transaction's
result to ``HTTP 5xx`` and its response context to the status, as serpens 2.9 did. The
client is a real one whose transport keeps events in memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import elasticapm
import elasticapm.base
import pytest

from serpens import api
from tests.serpens.api.apm_transport import memory_client
from tests.serpens.api.events import http_event


def _raising(exc: Exception) -> api.LambdaHandler:
    def respond(request: api.Request) -> Any:
        raise exc

    return api.handler(respond)


def test_a_client_error_logs_its_status_and_type(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "serpens.api"):
        response = _raising(api.HTTPError(403, "Not your order"))(http_event(), None)
    assert response["statusCode"] == 403
    lines = [r.getMessage() for r in caplog.records if r.name == "serpens.api"]
    assert lines == ["handler answered 403: HTTPError"]


def test_details_without_a_json_form_leave_the_message_alone() -> None:
    exc = api.HTTPError(400, "Bad order", code="bad", details={"at": object()})
    response = _raising(exc)(http_event(), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"message": "Bad order"}


@pytest.fixture(name="client")
def _client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("ELASTIC_APM_CAPTURE_BODY", raising=False)
    client = memory_client(capture_body="all")
    yield client
    client.close()
    elasticapm.base.CLIENT_SINGLETON = None


def _transaction(client: Any, handler: api.LambdaHandler) -> tuple[dict[str, Any], Any]:
    client.begin_transaction("request")
    response = handler(http_event(), None)
    client.end_transaction("GET /orders", None)
    (transaction,) = [data for kind, data in client._transport.events if kind == "transaction"]
    return transaction, response


def test_a_body_capture_set_in_code_puts_the_body_in_the_transaction(client: Any) -> None:
    transaction, response = _transaction(client, api.handler(lambda request: {"order": 7}))
    assert response["body"] == '{"order": 7}'
    assert transaction["context"]["custom"] == {"response_body": '{"order": 7}'}


def test_an_unexpected_error_marks_the_transaction_with_its_status(client: Any) -> None:
    transaction, response = _transaction(client, _raising(RuntimeError("boom")))
    assert response["statusCode"] == 500
    assert transaction["result"] == "HTTP 5xx"
    assert transaction["context"]["response"]["status_code"] == 500
