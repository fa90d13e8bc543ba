"""A traced SQS send adds its ``traceparent`` only while SQS's 10 attributes allow it.

SQS refuses a message with more than ten message attributes, so a send that already
has ten goes out without its trace context rather than failing; one with nine carries
it as the tenth. The same holds for the queue adapter and the raw ``publish_message``.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from serpens import sqs
from serpens_aws import SQSQueue
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _named,
    _sdk_provider,
    _spans,
    _traceparent,
)

pytestmark = pytest.mark.aws


@pytest.fixture(name="queue_url")
def _queue_url(moto_endpoint: str) -> tuple[Any, str]:
    client = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = client.create_queue(QueueName=f"otel-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return client, url


def _received(client: Any, url: str) -> dict[str, str]:
    answer = client.receive_message(QueueUrl=url, MessageAttributeNames=["All"])
    (message,) = answer["Messages"]
    client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def _attributes(count: int) -> dict[str, str]:
    return {f"a{i}": str(i) for i in range(count)}


def test_a_queue_send_with_nine_attributes_carries_its_trace_as_the_tenth(
    spans: InMemorySpanExporter, queue_url: tuple[Any, str]
) -> None:
    client, url = queue_url
    SQSQueue(url, client).send("nine", attributes=_attributes(9))
    producer = _named(spans, f"{url.rsplit('/', 1)[-1]} send")
    assert _received(client, url) == _attributes(9) | {"traceparent": _traceparent(producer)}


def test_a_queue_send_with_ten_attributes_goes_out_without_its_trace(
    spans: InMemorySpanExporter, queue_url: tuple[Any, str]
) -> None:
    client, url = queue_url
    SQSQueue(url, client).send("ten", attributes=_attributes(10))
    _named(spans, f"{url.rsplit('/', 1)[-1]} send")  # the span is still recorded
    assert _received(client, url) == _attributes(10)


def test_publish_message_keeps_to_ten_attributes_too(
    spans: InMemorySpanExporter, queue_url: tuple[Any, str]
) -> None:
    client, url = queue_url
    sqs.publish_message(url, "nine", attributes=_attributes(9))
    producer = _named(spans, f"{url.rsplit('/', 1)[-1]} send")
    assert _received(client, url) == _attributes(9) | {"traceparent": _traceparent(producer)}
    sqs.publish_message(url, "ten", attributes=_attributes(10))
    assert _received(client, url) == _attributes(10)


def test_publish_message_batch_keeps_each_entry_to_ten_attributes(
    spans: InMemorySpanExporter, queue_url: tuple[Any, str]
) -> None:
    """One span for the batch; each entry carries it while its own attributes allow."""
    client, url = queue_url
    sqs.publish_message_batch(
        url,
        [
            {"body": "none"},
            {"body": "nine", "attributes": _attributes(9)},
            {"body": "ten", "attributes": _attributes(10)},
        ],
    )
    producer = _named(spans, f"{url.rsplit('/', 1)[-1]} send")
    traceparent = {"traceparent": _traceparent(producer)}
    got: dict[str, dict[str, str]] = {}
    for _ in range(5):
        answer = client.receive_message(
            QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10
        )
        for m in answer.get("Messages", []):
            got[m["Body"]] = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert got == {
        "none": traceparent,
        "nine": _attributes(9) | traceparent,
        "ten": _attributes(10),
    }
