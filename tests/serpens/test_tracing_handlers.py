"""OpenTelemetry spans of api.handler and sqs.handler, with the real SDK and an in-memory exporter.

Each test records what a user's collector would receive: span names, kinds and semantic-
convention attributes, and that a message carries its trace across a broker (Pub/Sub,
SQS) into the handler that processes it, whose log records carry the trace id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import boto3
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from serpens import _tracing, api, sqs
from serpens._rules.publisher import MAX_REQUEST_BYTES, request_size
from serpens.pubsub import AsyncPublisher
from serpens_aws import SQSQueue
from serpens_contract import EmulatorRig
from tests._pubsub_rig import _emulator, _rig  # noqa: F401 - fixtures
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _named,
    _sdk_provider,
    _spans,
    _traceparent,
)

# ----------------------------------------------------------------- Pub/Sub -> api.handler


async def test_a_publish_carries_its_trace_to_the_api_handler(
    spans: InMemorySpanExporter, rig: EmulatorRig
) -> None:
    topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
    rig.create_topic(topic)
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, {"n": 1}, attributes={"kind": "order"})
    producer = _named(spans, f"{topic.rsplit('/', 1)[-1]} publish")
    assert producer.kind is SpanKind.PRODUCER
    assert dict(producer.attributes or {}) == {
        "messaging.system": "gcp_pubsub",
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
    }
    (received,) = rig.read(topic, 1)
    assert received.attributes["kind"] == "order"
    assert received.attributes["traceparent"] == _traceparent(producer)

    seen: list[str | None] = []

    @api.handler
    def push(request: api.Request) -> dict[str, str]:
        seen.append(_tracing.current_trace_id())
        return {"ok": "yes"}

    event = {
        "httpMethod": "POST",
        "resource": "/push",
        "path": "/push",
        "headers": {"Traceparent": received.attributes["traceparent"]},
        "requestContext": {"requestId": "req-1"},
        "body": "{}",
    }
    assert push(event)["statusCode"] == 200
    server = _named(spans, "POST /push")
    assert server.kind is SpanKind.SERVER
    assert server.parent is not None
    assert server.parent.span_id == producer.context.span_id
    assert seen == [f"{producer.context.trace_id:032x}"]
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/push"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["faas.invocation_id"] == "req-1"


def test_an_api_handler_without_incoming_context_starts_a_trace(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    @api.handler
    def broken(request: api.Request) -> None:
        raise RuntimeError("boom")

    event = {
        "version": "2.0",
        "routeKey": "GET /items/{id}",
        "rawPath": "/items/1",
        "headers": {},
        "requestContext": {"requestId": "req-2", "http": {"method": "GET"}},
    }
    with caplog.at_level(logging.ERROR, logger="serpens.api"):
        assert broken(event)["statusCode"] == 500
    server = _named(spans, "GET /items/{id}")
    assert server.parent is None
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 500
    logged = [r for r in caplog.records if r.name == "serpens.api"]
    assert logged
    assert logged[0].request_id == "req-2"  # type: ignore[attr-defined]
    assert logged[0].trace_id == f"{server.context.trace_id:032x}"  # type: ignore[attr-defined]


def test_a_malformed_event_is_a_400_with_its_span(spans: InMemorySpanExporter) -> None:
    @api.handler
    def handler(request: api.Request) -> dict[str, str]:
        return {"ok": "yes"}

    assert handler("not an event", None)["statusCode"] == 400  # type: ignore[arg-type]
    invoke = _named(spans, "lambda invoke")
    assert invoke.attributes is not None
    assert invoke.attributes["http.response.status_code"] == 400


# ---------------------------------------------------------------------- SQS -> sqs.handler


def _lambda_event(sqs_client: Any, queue_url: str) -> dict[str, Any]:
    """What Lambda hands the function for the next message of *queue_url*."""
    answer = sqs_client.receive_message(
        QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )
    (message,) = answer["Messages"]
    attributes = {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    name = queue_url.rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{name}",
            }
        ]
    }


@pytest.fixture(name="queue_url")
def _queue_url(moto_endpoint: str) -> tuple[Any, str]:
    client = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = client.create_queue(QueueName=f"otel-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return client, url


def test_a_send_carries_its_trace_to_the_sqs_handler(
    spans: InMemorySpanExporter,
    queue_url: tuple[Any, str],
) -> None:
    client, url = queue_url
    name = url.rsplit("/", 1)[-1]
    queue = SQSQueue(url, client=client)
    message_id = queue.send('{"n": 1}', attributes={"kind": "order"})
    producer = _named(spans, f"{name} send")
    assert producer.kind is SpanKind.PRODUCER
    assert dict(producer.attributes or {}) == {
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "send",
        "messaging.destination.name": name,
        "messaging.message.id": message_id,
    }
    event = _lambda_event(client, url)
    assert event["Records"][0]["messageAttributes"]["kind"]["stringValue"] == "order"

    @sqs.handler
    def process(record: sqs.Record) -> None:
        raise ValueError("cannot process")

    assert process(event, None) == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    consumer = _named(spans, f"{name} process")
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.message.id"] == message_id
    assert consumer.status.is_ok is False


def test_failed_records_are_logged_with_message_and_trace_ids(
    spans: InMemorySpanExporter,
    queue_url: tuple[Any, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, url = queue_url
    sqs.publish_message(url, {"n": 2})
    producer = _named(spans, f"{url.rsplit('/', 1)[-1]} send")
    event = _lambda_event(client, url)

    @sqs.handler
    def process(record: sqs.Record) -> None:
        logging.getLogger("serpens.sqs").warning("processing")
        raise ValueError("cannot process")

    with caplog.at_level(logging.INFO, logger="serpens.sqs"):
        answer = process(event, None)
    message_id = event["Records"][0]["messageId"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    inside = next(r for r in caplog.records if r.getMessage() == "processing")
    assert inside.message_id == message_id  # type: ignore[attr-defined]
    assert inside.trace_id == f"{producer.context.trace_id:032x}"  # type: ignore[attr-defined]
    failure = next(r for r in caplog.records if "failed" in r.getMessage())
    assert failure.message_id == message_id  # type: ignore[attr-defined]


async def test_a_traced_publish_at_pubsubs_limits_goes_out_without_trace_context(
    spans: InMemorySpanExporter, rig: EmulatorRig
) -> None:
    """A message the fake accepts is not refused because ``traceparent`` would not fit.

    At exactly 10 MB (or 100 attributes) the trace context would push the request past
    Pub/Sub's limits; the SDK would raise its own ``MessageTooLargeError``.
    """
    topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
    rig.create_topic(topic)
    size = MAX_REQUEST_BYTES - request_size(topic, b"", {}, "")
    while request_size(topic, b"x" * size, {}, "") > MAX_REQUEST_BYTES:
        size -= 1  # the data field's tag and length, the message's longer length
    assert request_size(topic, b"x" * size, {}, "") == MAX_REQUEST_BYTES
    full = {f"k{i}": "v" for i in range(100)}
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, b"x" * size)
        await publisher.publish(topic, "many", attributes=full)
    big, many = rig.read(topic, 2)
    assert (len(big.data), big.attributes) == (size, {})
    assert (many.data, many.attributes) == (b"many", full)
