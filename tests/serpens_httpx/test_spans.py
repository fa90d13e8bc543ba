"""The span of a request to a URL without a port names the scheme's default port.

``httpx.URL("http://service.test/x").port`` is ``None``; the span's ``server.port`` must
still be 80 (443 for https), as OpenTelemetry's HTTP conventions ask. No server listens
on those ports here, so the requests go through an HTTP proxy: a local uvicorn server
answers the plain request itself (404) and refuses the https tunnel (``CONNECT``).
Recorded with the real SDK and an in-memory exporter.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from serpens.errors import BackendUnavailableError
from serpens.testing import serve_asgi
from serpens_contract.http import scenario_app
from serpens_httpx import HttpxHttpClient
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _named,
    _sdk_provider,
    _spans,
)


@pytest.fixture(name="proxy_url", scope="module")
def _proxy_url() -> Iterator[str]:
    with serve_asgi(scenario_app) as url:
        yield url


async def test_a_plain_http_url_without_a_port_is_a_span_on_port_80(
    spans: InMemorySpanExporter, proxy_url: str
) -> None:
    async with httpx.AsyncClient(proxy=proxy_url, timeout=5) as raw:
        response = await HttpxHttpClient(raw).get("http://service.test/echo?token=abc")
    span = _named(spans, "GET")
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": "http://service.test/echo?token=***",
        "server.address": "service.test",
        "server.port": 80,
        "http.response.status_code": response.status_code,
    }


async def test_an_https_url_without_a_port_is_a_span_on_port_443(
    spans: InMemorySpanExporter, proxy_url: str
) -> None:
    async with httpx.AsyncClient(proxy=proxy_url, timeout=5) as raw:
        with pytest.raises(BackendUnavailableError):  # the proxy refuses the tunnel
            await HttpxHttpClient(raw).delete("https://service.test/orders/1")
    span = _named(spans, "DELETE")
    assert dict(span.attributes or {}) == {
        "http.request.method": "DELETE",
        "url.full": "https://service.test/orders/1",
        "server.address": "service.test",
        "server.port": 443,
    }
    assert span.status.is_ok is False
