"""End to end through moto's SQS server: a failing processor never loses a record.

Messages are sent with the SQSQueue adapter, received the way Lambda's poller does,
turned into the Lambda event, run through the decorated handler; successes are deleted
and failures come back after the visibility timeout, with a higher receive count.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from serpens import sqs
from serpens.testing.sqs_events import poll_once
from serpens_aws import SQSQueue

pytestmark = pytest.mark.aws


@pytest.fixture(name="fifo_url")
def _fifo_url(client: Any) -> Iterator[str]:
    url = client.create_queue(
        QueueName=f"rel-{uuid.uuid4().hex[:12]}.fifo",
        Attributes={"FifoQueue": "true", "VisibilityTimeout": "1"},
    )["QueueUrl"]
    yield url
    client.delete_queue(QueueUrl=url)


def _drain(client: Any, url: str) -> list[dict[str, Any]]:
    got = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )
    return list(got.get("Messages", []))


def test_failed_records_come_back_and_successful_ones_are_deleted(
    client: Any, queue_url: str
) -> None:
    queue = SQSQueue(queue_url, client)
    for n in range(6):
        queue.send(f'{{"n": {n}}}', attributes={"n": n})
    calls: list[int] = []

    @sqs.handler
    def process(record: sqs.Record) -> None:
        calls.append(record.body["n"])
        if record.body["n"] % 3 == 0:
            raise RuntimeError("downstream refused")

    failed = poll_once(process, client, queue_url, visibility_timeout=2)
    assert sorted(calls) == list(range(6))
    assert len(failed) == 2
    assert _drain(client, queue_url) == []  # failures are invisible until the timeout
    time.sleep(2.2)
    again = _drain(client, queue_url)
    assert sorted(m["MessageId"] for m in again) == sorted(failed)
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in again} == {"2"}
    assert sorted(m["Body"] for m in again) == ['{"n": 0}', '{"n": 3}']


def test_retry_later_changes_the_visibility_of_its_record(client: Any, queue_url: str) -> None:
    queue = SQSQueue(queue_url, client)
    queue.send("now")
    queue.send("later")

    @sqs.handler
    def process(record: sqs.Record) -> None:
        raise sqs.RetryLater(0 if record.raw_body == "now" else 30)

    failed = poll_once(process, client, queue_url, visibility_timeout=60)
    assert len(failed) == 2
    # without RetryLater both would be invisible for 60 s; "now" is back at once
    assert [m["Body"] for m in _drain(client, queue_url)] == ["now"]
    time.sleep(1.2)  # past the queue's 1 s default, "later" is still held for 30 s
    assert [m["Body"] for m in _drain(client, queue_url)] == ["now"]


def test_async_handler_on_a_fifo_queue_loses_nothing(client: Any, fifo_url: str) -> None:
    queue = SQSQueue(fifo_url, client)
    for body, group in [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A")]:
        queue.send(body, group_id=group)
    seen: list[str] = []

    @sqs.async_handler(max_concurrency=2)
    async def process(record: sqs.Record) -> None:
        seen.append(record.raw_body)
        if record.raw_body == "a2":
            raise RuntimeError("no")

    failed = poll_once(process, client, fifo_url)
    assert len(failed) == 2
    assert [b for b in seen if b.startswith("a")] == ["a1", "a2"]
    time.sleep(1.2)
    # a2 and a3 come back (moto may hand them over one call at a time, a3 first: see the
    # `fifo_redelivery_order` capability of the queue contract); group B was deleted.
    back: list[str] = []
    for _ in range(3):
        for message in _drain(client, fifo_url):
            back.append(message["Body"])
            client.delete_message(QueueUrl=fifo_url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(back) == ["a2", "a3"]


def test_same_body_sent_twice_to_fifo_is_delivered_twice(client: Any, fifo_url: str) -> None:
    """The original reused the group id as dedup id and silently dropped the second send."""
    queue = SQSQueue(fifo_url, client)
    queue.send('{"same": true}', group_id="g")
    queue.send('{"same": true}', group_id="g")
    assert [m["Body"] for m in _drain(client, fifo_url)] == ['{"same": true}'] * 2


def test_async_retry_later_changes_visibility_off_the_loop(client: Any, queue_url: str) -> None:
    queue = SQSQueue(queue_url, client)
    queue.send("again")
    queue.send("done")

    @sqs.async_handler
    async def process(record: sqs.Record) -> None:
        if record.raw_body == "again":
            raise sqs.RetryLater(0)

    failed = poll_once(process, client, queue_url, visibility_timeout=60)
    assert len(failed) == 1
    assert [m["Body"] for m in _drain(client, queue_url)] == ["again"]  # back at once
