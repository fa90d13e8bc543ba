"""What OpenTelemetry costs per call: absent, API only (no-op), and an SDK tracer.

serpens decides once (at decoration or construction) whether opentelemetry is
installed. The three states are measured in one process, in this order, because an SDK
``TracerProvider`` cannot be removed once set:

1. **absent**: ``serpens._tracing`` told the package is not installed, as in a process
   without ``serpens[otel]``; the call sites keep their plain code;
2. **no-op**: opentelemetry-api installed, no SDK provider (the API's no-op tracer);
3. **SDK**: an SDK ``TracerProvider`` with a ``SimpleSpanProcessor`` feeding an
   ``InMemorySpanExporter`` (what a test or a synchronous exporter pays; a
   ``BatchSpanProcessor`` moves the export off the request).

The subjects are pure Python (no server, so the figures are not drowned by network
noise): ``api.handler`` per request, ``sqs.handler`` per record of a 10-record batch,
and one bare ``span()`` (the cost each Redis command, repository call, publish or HTTP
request pays). Each is compared with the same call measured with opentelemetry absent.

Run: ``.venv/bin/python -m bench.otel``
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench._common import Result, print_table, scaled
from serpens import _tracing, api, sqs

NUMBER = scaled(20_000)
EVENT = {
    "httpMethod": "GET",
    "resource": "/items/{id}",
    "path": "/items/1",
    "headers": {"Accept": "application/json"},
    "pathParameters": {"id": "1"},
    "requestContext": {"requestId": "r-1"},
}
BATCH = {
    "Records": [
        {
            "messageId": f"m-{i}",
            "body": '{"n": 1}',
            "messageAttributes": {},
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
        }
        for i in range(10)
    ]
}


def _per_call_us(func: Callable[[], object], number: int = NUMBER) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def _state(installed: bool) -> None:
    """Make serpens see opentelemetry as absent or installed (re-read on the next span)."""
    _tracing._installed = installed  # noqa: SLF001 - the bench simulates the extra's absence
    _tracing._state = _tracing._UNKNOWN  # noqa: SLF001


def _subjects() -> dict[str, Callable[[], object]]:
    """Build the handlers under the current state (they decide at decoration)."""

    @api.handler
    def get_item(request: api.Request) -> dict[str, Any]:
        return {"id": request.path.id}

    @sqs.handler
    def process(record: sqs.Record) -> None:
        record.body  # noqa: B018 - decode the body as a real processor would

    def one_span() -> None:
        with _tracing.span("GET", _tracing.CLIENT, {"db.system": "redis"}):
            pass

    return {
        "api.handler per request": lambda: get_item(EVENT, None),
        "api.handler without the otel check": lambda: get_item._handle(EVENT, None),  # noqa: SLF001
        "sqs.handler per record": lambda: process(BATCH, None),
        "span() enter and exit": one_span,
    }


def _measure() -> dict[str, float]:
    times = {name: _per_call_us(func) for name, func in _subjects().items()}
    times["sqs.handler per record"] /= len(BATCH["Records"])
    return times


def main() -> list[Result]:
    _state(installed=False)
    absent = _measure()
    _state(installed=True)
    noop = _measure()
    from opentelemetry import trace  # noqa: PLC0415 - the SDK only for its row
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    sdk = _measure()
    assert exporter.get_finished_spans(), "the SDK recorded nothing"
    check = "api.handler without the otel check"
    rows = [
        Result(
            "api.handler per request, otel absent",
            absent["api.handler per request"],
            absent.pop(check),
            "us",
            "the same handler minus the check",
        )
    ]
    for name, base in absent.items():
        rows.append(Result(f"{name}, otel API no-op", noop[name], base, "us", "otel absent"))
        rows.append(Result(f"{name}, otel SDK + in-memory", sdk[name], base, "us", "otel absent"))
    return rows


if __name__ == "__main__":
    print_table(main())
