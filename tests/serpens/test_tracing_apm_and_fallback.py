"""OpenTelemetry beside elastic-apm, and serpens without OpenTelemetry installed.

With the real SDK and an in-memory exporter: a span recorded by both tracers, one
``traceparent`` on a request both trace, the ``_tracing`` helpers typed for both paths,
and a process where ``opentelemetry`` cannot be imported, whose handlers still run.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from serpens import _tracing
from serpens_httpx import HttpxHttpClient
from serpens_redis import AsyncRedisCache
from tests._apm import instrumented, recorded_apm
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _Echo,
    _named,
    _sdk_provider,
    _spans,
    _traceparent,
)

# ------------------------------------------------------------------ with elastic-apm too


async def test_a_cache_command_is_a_span_of_both_tracers(
    spans: InMemorySpanExporter, redis_url: str
) -> None:
    cache = AsyncRedisCache.from_url(redis_url, prefix=f"otel{uuid.uuid4().hex[:6]}")
    with recorded_apm() as apm:
        apm.client.begin_transaction("request")
        try:
            assert await cache.get("missing") is None
        finally:
            await cache.aclose()
        apm.client.end_transaction("GET /orders", "success")
    assert [s.name for s in spans.get_finished_spans()] == ["GET"]
    assert [(s["name"], s["subtype"]) for s in apm.spans()] == [("GET", "redis")]


# ------------------------------------------------------------------------ no opentelemetry


def test_without_opentelemetry_nothing_imports_it_and_handlers_run(tmp_path: Any) -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, logging, sys

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "opentelemetry":
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, Absent())
        from serpens import _tracing, api, http_client, sqs

        assert _tracing.enabled() is False
        with _tracing.span("x") as s:
            assert s is None
        assert _tracing.inject({}) == {}
        assert _tracing.current_trace_id() is None

        def process(record):
            return None

        assert sqs.handler(process)({"Records": [{"messageId": "m", "body": "{}"}]}) is None
        ok = api.handler(lambda request: {"ok": True})
        assert ok({"httpMethod": "GET", "path": "/"})["statusCode"] == 200
        assert not [m for m in sys.modules if m.startswith("opentelemetry")]
        print("clean")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_the_helpers_are_typed_for_both_paths(spans: InMemorySpanExporter) -> None:
    carrier: dict[str, str] = {}
    with _tracing.span("outer", _tracing.INTERNAL, {"a": 1, "dropped": None}):
        _tracing.inject(carrier)
    outer = _named(spans, "outer")
    assert dict(outer.attributes or {}) == {"a": 1}
    assert carrier["traceparent"] == _traceparent(outer)
    consume: Callable[..., Any] = _tracing.consumer_span
    with consume("inner", {"traceparent": carrier["traceparent"], "other": b"x"}):
        pass
    inner = _named(spans, "inner")
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id


class _EchoAll(_Echo):
    def do_GET(self) -> None:
        body = json.dumps({"traceparent": self.headers.get_all("traceparent") or []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_HTTPX = "elasticapm.instrumentation.packages.httpx.async"
# What elasticapm.instrument() puts on an async httpx client: both. The httpcore one alone
# records a span of its own for every request, whose URL elastic-apm before 6.26.2 builds
# wrongly and fails to parse when the span ends (ValueError out of the request,
# elastic/apm-agent-python#2667); under the httpx span it is dropped, as in a service.
_HTTPX_INSTRUMENTATIONS = (
    f"{_HTTPX}.httpx.HttpxAsyncClientInstrumentation",
    f"{_HTTPX}.httpcore.HTTPCoreAsyncInstrumentation",
)


async def test_with_elastic_apm_tracing_the_request_it_carries_one_traceparent(
    spans: InMemorySpanExporter,
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoAll)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/x"
    try:
        with recorded_apm() as apm, instrumented(*_HTTPX_INSTRUMENTATIONS):
            async with HttpxHttpClient(timeout=5) as client:
                apm.client.begin_transaction("request")
                traced = (await client.get(url)).json()["traceparent"]
                apm.client.end_transaction("GET /", "success")
                untraced = (await client.get(url)).json()["traceparent"]
    finally:
        server.shutdown()
        server.server_close()
    first, second = spans.get_finished_spans()  # the OpenTelemetry spans are still recorded
    assert len(traced) == 1  # elastic-apm's, not a second one beside OpenTelemetry's
    assert traced != [_traceparent(first)]
    assert untraced == [_traceparent(second)]  # no transaction: OpenTelemetry's
