"""The CONSUMER span of each SQS record, with the real OpenTelemetry SDK (no network).

Both ``sqs.handler`` and ``sqs.async_handler`` run each record inside a span named
``<queue> process`` that continues the trace its message attributes carry
(``traceparent``) and holds OpenTelemetry's messaging attributes: the system
``aws_sqs``, the operation ``process``, the queue's name and the message id. Pinned
whole, so a renamed or dropped attribute, or a span that loses its parent, fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _named,
    _sdk_provider,
    _spans,
)

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


def _traced_record(message_id: str) -> dict[str, Any]:
    raw = sqs_record("x", message_id=message_id)
    raw["messageAttributes"] = {
        "traceparent": {"stringValue": f"00-{TRACE_ID}-{PARENT_ID}-01", "dataType": "String"}
    }
    return raw


def _sync_handler() -> Any:
    def process(record: sqs.Record) -> None:
        return None

    return sqs.handler(process)


def _async_handler() -> Any:
    async def process(record: sqs.Record) -> None:
        return None

    return sqs.async_handler(process)


@pytest.mark.parametrize("build", [_sync_handler, _async_handler], ids=["sync", "async"])
def test_each_record_runs_in_a_consumer_span_continuing_its_trace(
    build: Any, spans: InMemorySpanExporter
) -> None:
    handler = build()
    assert handler(sqs_event(_traced_record("m-span")), None) is None

    span = _named(spans, "my-queue process")
    assert span.kind is SpanKind.CONSUMER
    assert dict(span.attributes or {}) == {
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "process",
        "messaging.destination.name": "my-queue",
        "messaging.message.id": "m-span",
    }
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == PARENT_ID
    assert f"{span.context.trace_id:032x}" == TRACE_ID
