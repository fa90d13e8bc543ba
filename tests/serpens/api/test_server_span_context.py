"""The SERVER span of ``api.handler`` and ``api.async_handler`` and the Lambda context.

With the real OpenTelemetry SDK recording, the handler still hands the runtime's context
to the request, and the span names the invocation by the Lambda request id
(``context.aws_request_id``) when the event carries no API Gateway request id, as it
does outside a span. No network: the events are built by hand.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from serpens import api
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _named,
    _sdk_provider,
    _spans,
)
from tests.serpens.api.events import rest_event


class _Context:
    aws_request_id = "lambda-req-1"


def _build(decorator: Any, context: object) -> Any:
    if decorator is api.handler:

        def same(request: api.Request) -> dict[str, Any]:
            return {"same": request.context is context, "id": request.request_id}

        return api.handler(same)

    async def same_async(request: api.Request) -> dict[str, Any]:
        return {"same": request.context is context, "id": request.request_id}

    return api.async_handler(same_async)


@pytest.mark.parametrize("decorator", [api.handler, api.async_handler], ids=["sync", "async"])
def test_a_traced_invocation_keeps_the_lambda_context_and_names_it(
    decorator: Any, spans: InMemorySpanExporter
) -> None:
    event = rest_event(method="GET", body=None)
    del event["requestContext"]["requestId"]
    context = _Context()

    response = _build(decorator, context)(event, context)

    assert response["body"] == '{"same": true, "id": "lambda-req-1"}'
    server = _named(spans, "GET /users/{user_id}")
    assert server.kind is SpanKind.SERVER
    assert (server.attributes or {})["faas.invocation_id"] == "lambda-req-1"
