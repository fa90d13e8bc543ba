"""Errors reach elastic-apm through a real Client whose transport keeps events in memory."""

from __future__ import annotations

from collections.abc import Iterator

import elasticapm
import elasticapm.base
import pytest

from serpens import api
from serpens.errors import NotFoundError
from tests.serpens.api.apm_transport import memory_client
from tests.serpens.api.events import http_event


def _client(**options: object) -> elasticapm.Client:
    return memory_client(**options)


@pytest.fixture(name="apm_events")
def _apm_events() -> Iterator[list]:
    client = _client()
    assert elasticapm.get_client() is client
    yield client._transport.events
    client.close()
    elasticapm.base.CLIENT_SINGLETON = None


def _errors(events: list) -> list[dict]:
    return [data for kind, data in events if kind == "error"]


@pytest.mark.parametrize("decorator", [api.handler, api.async_handler], ids=["sync", "async"])
def test_unexpected_errors_are_captured_as_unhandled(apm_events, decorator) -> None:
    if decorator is api.handler:

        def func(request: api.Request):
            raise RuntimeError("boom")
    else:

        async def func(request: api.Request):
            raise RuntimeError("boom")

    response = decorator(func)(http_event(), None)
    assert response["statusCode"] == 500
    (error,) = _errors(apm_events)
    assert error["exception"]["type"] == "RuntimeError"
    assert error["exception"]["handled"] is False


def test_client_errors_are_captured_as_handled(apm_events) -> None:
    @api.handler
    def lambda_handler(request: api.Request):
        raise NotFoundError("User id=1")

    assert lambda_handler(http_event(), None)["statusCode"] == 404
    (error,) = _errors(apm_events)
    assert error["exception"]["type"] == "NotFoundError"
    assert error["exception"]["handled"] is True


def test_without_a_configured_client_errors_still_answer() -> None:
    assert elasticapm.get_client() is None

    @api.handler
    def lambda_handler(request: api.Request):
        raise RuntimeError("boom")

    assert lambda_handler(http_event(), None)["statusCode"] == 500


def _transactions(events: list) -> list[dict]:
    return [data for kind, data in events if kind == "transaction"]


@pytest.mark.parametrize("mode", ["all", "transactions", "errors", "off"])
@pytest.mark.parametrize("decorator", [api.handler, api.async_handler], ids=["sync", "async"])
def test_the_response_body_goes_to_the_transaction_when_bodies_are_captured(
    monkeypatch: pytest.MonkeyPatch, mode: str, decorator
) -> None:
    monkeypatch.setenv("ELASTIC_APM_CAPTURE_BODY", mode)
    client = _client()
    try:
        if decorator is api.handler:

            def func(request: api.Request):
                return {"order": 7}
        else:

            async def func(request: api.Request):
                return {"order": 7}

        client.begin_transaction("request")
        response = decorator(func)(http_event(), None)
        client.end_transaction("GET /orders", "HTTP 2xx")
        (transaction,) = _transactions(client._transport.events)
    finally:
        client.close()
        elasticapm.base.CLIENT_SINGLETON = None
    assert response["body"] == '{"order": 7}'
    custom = transaction.get("context", {}).get("custom", {})
    if mode in {"all", "transactions"}:
        assert custom == {"response_body": '{"order": 7}'}
    else:
        assert "response_body" not in custom
