"""OpenTelemetry: an SDK provider, then serpens' handlers record spans and log fields."""

import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from serpens import api, sqs

exporter = InMemorySpanExporter()  # in production: an OTLP exporter in a BatchSpanProcessor
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

# serpens' own log records carry request_id, message_id and trace_id
logging.basicConfig(format="%(levelname)s %(message)s request=%(request_id)s trace=%(trace_id)s")


@api.handler
def get_order(request: api.Request) -> dict[str, str]:
    return {"id": request.path.id}


@sqs.handler
def process(record: sqs.Record) -> None:
    print("processing", record.message_id)


parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"  # from the caller
event = {
    "httpMethod": "GET",
    "resource": "/orders/{id}",
    "path": "/orders/7",
    "pathParameters": {"id": "7"},
    "headers": {"traceparent": parent},
    "requestContext": {"requestId": "r-1"},
}
assert get_order(event, None)["statusCode"] == 200

batch = {
    "Records": [
        {
            "messageId": "m-1",
            "body": "{}",
            "messageAttributes": {"traceparent": {"stringValue": parent, "dataType": "String"}},
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
        }
    ]
}
assert process(batch, None) is None

server, consumer = exporter.get_finished_spans()
assert server.name == "GET /orders/{id}"
assert consumer.name == "orders process"
# both continue the caller's trace
assert {f"{s.context.trace_id:032x}" for s in (server, consumer)} == {parent.split("-")[1]}
print(server.name, "|", consumer.name)
