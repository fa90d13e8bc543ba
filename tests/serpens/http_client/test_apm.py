"""elastic-apm over serpens' HTTP clients: its httpx instrumentation's span and traceparent.

serpens records no elastic-apm span for HTTP itself: elastic-apm's httpx
instrumentation wraps ``httpx.AsyncClient.send`` (the span) and httpcore's request (the
``traceparent`` header). These tests pin that the shared client of
``serpens.http_client`` and ``HttpxHttpClient`` still reach those wrapped methods
through the deadline and tracing layers, so each request is one ``external``/``http``
span whose id the server receives; the instrumentation is applied for each test only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from serpens import http_client
from serpens.testing import serve_asgi
from serpens_httpx import HttpxHttpClient
from tests._apm import RecordedApm, instrumented, recorded_apm

_HTTPX_INSTRUMENTATION = (
    "elasticapm.instrumentation.packages.httpx.async.httpx.HttpxAsyncClientInstrumentation",
    "elasticapm.instrumentation.packages.httpx.async.httpcore.HTTPCoreAsyncInstrumentation",
)


async def _echo_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer with the request headers as a JSON object."""
    assert scope["type"] == "http"
    headers: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    body = json.dumps(headers).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(name="base_url", scope="module")
def _base_url() -> Iterator[str]:
    with serve_asgi(_echo_headers, lifespan="off") as url:
        yield url


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as apm, instrumented(*_HTTPX_INSTRUMENTATION):
        yield apm


@pytest.fixture(name="shared")
async def _shared() -> AsyncIterator[httpx.AsyncClient]:
    await http_client.close_client()
    yield await http_client.init_client(timeout=5)
    await http_client.close_client()


def _traceparent_of(span: dict[str, Any]) -> str:
    return f"00-{span['trace_id']}-{span['id']}-01"


async def test_a_request_of_the_shared_client_is_one_http_span_whose_id_the_server_gets(
    apm: RecordedApm, shared: httpx.AsyncClient, base_url: str
) -> None:
    apm.client.begin_transaction("request")
    response = await http_client.get_client().get(f"{base_url}/orders")
    apm.client.end_transaction("GET /", "success")
    (span,) = apm.spans()
    host = base_url.removeprefix("http://")
    assert (span["name"], span["type"], span["subtype"]) == (f"GET {host}", "external", "http")
    assert span["context"]["http"] == {"url": f"{base_url}/orders", "status_code": 200}
    assert response.json()["traceparent"] == [_traceparent_of(span)]


async def test_the_adapter_over_the_shared_client_records_the_same_single_span(
    apm: RecordedApm, shared: httpx.AsyncClient, base_url: str
) -> None:
    apm.client.begin_transaction("request")
    response = await HttpxHttpClient(shared).get(f"{base_url}/orders")
    apm.client.end_transaction("GET /", "success")
    (span,) = apm.spans()
    assert span["subtype"] == "http"
    assert response.json()["traceparent"] == [_traceparent_of(span)]


async def test_without_a_transaction_nothing_is_recorded_or_sent(
    apm: RecordedApm, shared: httpx.AsyncClient, base_url: str
) -> None:
    response = await shared.get(f"{base_url}/orders")
    assert response.status_code == 200
    assert "traceparent" not in response.json()
    assert apm.events == []
