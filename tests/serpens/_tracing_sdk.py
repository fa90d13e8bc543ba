"""The OpenTelemetry SDK rig shared by the ``test_tracing_*`` modules.

Each of those modules imports ``_sdk_provider`` (autouse, module scope) and ``spans``
from here, so each installs the real SDK with the one in-memory exporter for its own
tests and leaves the rest of the suite untraced; ``_named`` and ``_traceparent`` read
the recorded spans, and ``_Echo`` is the HTTP server that answers with the
``traceparent`` it was sent.
"""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from serpens import _tracing


@pytest.fixture(autouse=True, scope="module")
def _sdk_provider() -> Iterator[InMemorySpanExporter]:
    """An SDK provider for this module, and none left behind for the rest of the suite.

    The API lets a process set its provider once; the teardown resets that global (as
    opentelemetry's own test utilities do) and serpens' cached view of it, so that the
    other modules, which assert exact message attributes and headers, run untraced.
    Each module gets an exporter of its own: shutting the provider down shuts it down.
    """
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    _tracing._state = _tracing._UNKNOWN


@pytest.fixture(name="spans")
def _spans(_sdk_provider: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """The module's exporter, emptied before and after each test."""
    _sdk_provider.clear()
    yield _sdk_provider
    _sdk_provider.clear()


def _named(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    matches = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(matches) == 1, [s.name for s in exporter.get_finished_spans()]
    return matches[0]


def _traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


class _Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"traceparent": self.headers.get("traceparent")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""
