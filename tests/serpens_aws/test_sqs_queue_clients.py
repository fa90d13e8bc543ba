"""SQS queue details no port promises: the clients it uses, foreign attributes, its attributes.

The contract cells pass a client through a fault proxy; these tests take the other
paths: a queue looked up by name, a client built for ``endpoint_url``, a message a
foreign sender gave a ``Binary`` attribute, the async queue's public attributes, and the
plain sends of a process without opentelemetry (this one has it installed).
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from serpens import sqs
from serpens.testing import FaultProxy
from serpens_aws import AsyncSQSQueue, SQSQueue
from serpens_aws._queue import _receipt_refused

pytestmark = pytest.mark.aws


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


def _proxy_url(proxy: FaultProxy) -> str:
    return f"http://{proxy.host}:{proxy.port}"


def test_from_name_uses_the_client_it_is_given(sqs_client: Any) -> None:
    name = f"c-{uuid.uuid4().hex[:8]}"
    sqs_client.create_queue(QueueName=name)
    assert SQSQueue.from_name(name, sqs_client).client is sqs_client


def test_from_name_without_a_client_builds_one_with_the_queues_deadlines(
    sqs_client: Any,
) -> None:
    """The client comes from the AWS environment (``AWS_ENDPOINT_URL`` names moto here)."""
    name = f"b-{uuid.uuid4().hex[:8]}"
    url = sqs_client.create_queue(QueueName=name)["QueueUrl"]
    queue = SQSQueue.from_name(name)
    assert queue.queue_url == url
    config: Any = queue.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 25)
    queue.send("found")
    (message,) = queue.receive(visibility_timeout=30)
    assert message.body == "found"


def test_a_built_client_talks_to_endpoint_url(sqs_client: Any, moto_proxy: FaultProxy) -> None:
    """``endpoint_url`` wins over ``AWS_ENDPOINT_URL``, for the sync and the async queue."""
    url = sqs_client.create_queue(QueueName=f"e-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    endpoint = _proxy_url(moto_proxy)
    queue = SQSQueue(url, endpoint_url=endpoint)
    async_queue = AsyncSQSQueue(url, endpoint_url=endpoint)
    assert queue.client.meta.endpoint_url == endpoint
    assert async_queue.client.meta.endpoint_url == endpoint
    assert queue.client is queue.client  # built once
    queue.send("through the proxy")
    (message,) = asyncio.run(async_queue.receive(visibility_timeout=30))
    assert message.body == "through the proxy"


def test_a_binary_attribute_from_a_foreign_sender_reads_back_as_base64(sqs_client: Any) -> None:
    url = sqs_client.create_queue(QueueName=f"x-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs_client.send_message(
        QueueUrl=url,
        MessageBody="foreign",
        MessageAttributes={
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe"},
            "kind": {"DataType": "String", "StringValue": "order"},
        },
    )
    (message,) = SQSQueue(url, sqs_client).receive(visibility_timeout=30)
    assert dict(message.attributes) == {
        "blob": base64.b64encode(b"\x00\x01\xfe").decode("ascii"),
        "kind": "order",
    }


def test_the_async_queue_exposes_its_url_and_kind(sqs_client: Any) -> None:
    standard = f"http://127.0.0.1:9/000000000000/q-{uuid.uuid4().hex[:8]}"
    fifo = f"{standard}.fifo"
    assert (AsyncSQSQueue(standard, sqs_client).queue_url, AsyncSQSQueue(standard).fifo) == (
        standard,
        False,
    )
    assert (AsyncSQSQueue(fifo, sqs_client).queue_url, AsyncSQSQueue(fifo).fifo) == (fifo, True)
    assert AsyncSQSQueue(fifo, sqs_client).client is sqs_client


@pytest.mark.usefixtures("untraced")
def test_without_opentelemetry_sends_go_out_whole(sqs_client: Any) -> None:
    """The queue, ``publish_message`` and ``publish_message_batch`` without tracing."""
    url = sqs_client.create_queue(QueueName=f"p-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    attributes = {f"a{i}": str(i) for i in range(10)}
    queue = SQSQueue(url, sqs_client)
    sent = {queue.send("queue", attributes=attributes)}
    sent.add(sqs.publish_message(url, "one", attributes={"k": "v"})["MessageId"])
    (batch,) = sqs.publish_message_batch(url, [{"body": "b0"}, {"body": "b1", "attributes": {}}])
    sent |= {ok["MessageId"] for ok in batch["Successful"]}
    got: dict[str, Any] = {}
    for _ in range(5):
        got |= {m.id: m for m in queue.receive(max_messages=10, visibility_timeout=30)}
    assert got.keys() == sent
    assert {m.body: dict(m.attributes) for m in got.values()} == {
        "queue": attributes,
        "one": {"k": "v"},
        "b0": {},
        "b1": {},
    }


def test_an_invalid_parameter_answer_without_a_message_is_no_refused_receipt() -> None:
    """botocore fills ``Message`` in; an error built without it is still no NotFoundError."""
    error = ClientError({"Error": {"Code": "InvalidParameterValue"}}, "ChangeMessageVisibility")
    assert _receipt_refused(error) is False
