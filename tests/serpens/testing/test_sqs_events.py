"""``serpens.testing.sqs_events`` builds events in the shape the Lambda SQS poller delivers.

A handler test is only as good as its event: a record with a key spelled differently, a
binary attribute left as bytes or a region read from the wrong part of the ARN would pass
every handler test and fail on Lambda. The records here are compared whole with the shape
AWS documents for a Lambda SQS event (standard and FIFO queues), and ``event_from_received``
and ``poll_once`` run against moto's SQS server.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from serpens.testing.sqs_events import (
    DEFAULT_QUEUE_ARN,
    event_from_received,
    poll_once,
    sqs_event,
    sqs_record,
)

ARN = "arn:aws:sqs:eu-west-2:210987654321:orders"
SENT = datetime(2026, 12, 7, 18, 30, 1, 250_000, tzinfo=UTC)
SENT_MS = "1796668201250"


def _lambda_attribute(data_type: str, **value: str) -> dict[str, Any]:
    """One message attribute as Lambda's records carry it (AWS's documented example)."""
    return {"stringListValues": [], "binaryListValues": [], "dataType": data_type, **value}


def test_a_record_has_every_key_of_a_lambda_sqs_record_and_no_other() -> None:
    body = "héllo, wörld"  # not ASCII: the digest is of the body's UTF-8 bytes
    record = sqs_record(
        body,
        queue_arn=ARN,
        message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
        attributes={"kind": "order", "count": 3, "ratio": 0.5},
        receive_count=4,
        sent_at=SENT,
    )
    receipt = record.pop("receiptHandle")
    assert re.fullmatch(r"AQEB[0-9a-f]{32}", receipt)
    assert record == {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "4",
            "SentTimestamp": SENT_MS,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": SENT_MS,
        },
        "messageAttributes": {
            "kind": _lambda_attribute("String", stringValue="order"),
            "count": _lambda_attribute("Number", stringValue="3"),
            "ratio": _lambda_attribute("Number", stringValue="0.5"),
        },
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "eu-west-2",
    }
    assert record["md5OfBody"] == "d4420d8c6fd9d2564158b5d598b2a87a"


def test_a_record_left_to_its_defaults() -> None:
    before = int(time.time() * 1000)
    first, second = sqs_record("a"), sqs_record("a")
    after = int(time.time() * 1000)
    for record in (first, second):
        assert uuid.UUID(record["messageId"]).version == 4
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        sent = int(record["attributes"]["SentTimestamp"])
        assert before <= sent <= after
        assert record["attributes"]["ApproximateFirstReceiveTimestamp"] == str(sent)
        assert record["messageAttributes"] == {}
        assert record["eventSourceARN"] == DEFAULT_QUEUE_ARN
        assert record["awsRegion"] == "us-east-1"
        assert "MessageGroupId" not in record["attributes"]
    assert first["messageId"] != second["messageId"]
    assert first["receiptHandle"] != second["receiptHandle"]


def test_a_fifo_record_carries_its_group_a_deduplication_id_and_a_sequence_number() -> None:
    before = time.time_ns()
    record = sqs_record("x", group_id="customer-7", sent_at=SENT)
    system = record["attributes"]
    assert set(system) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
        "MessageGroupId",
        "MessageDeduplicationId",
        "SequenceNumber",
    }
    assert system["MessageGroupId"] == "customer-7"
    assert re.fullmatch(r"[0-9a-f]{32}", system["MessageDeduplicationId"])
    assert system["SequenceNumber"].isdigit()
    assert before <= int(system["SequenceNumber"]) <= time.time_ns()
    again = sqs_record("x", group_id="customer-7", sent_at=SENT)["attributes"]
    assert again["MessageDeduplicationId"] != system["MessageDeduplicationId"]
    assert int(again["SequenceNumber"]) > int(system["SequenceNumber"])


def test_an_event_carries_copies_of_its_records_in_order() -> None:
    first, second = sqs_record("1"), sqs_record("2")
    event = sqs_event(first, second)
    assert event == {"Records": [first, second]}
    event["Records"][0]["body"] = "changed"
    assert first["body"] == "1"  # the caller's record is not the event's
    assert sqs_event() == {"Records": []}


def test_a_received_message_with_only_its_required_keys() -> None:
    # what boto3 returns without attribute names asked for, less the body and digest
    event = event_from_received([{"MessageId": "m-1", "ReceiptHandle": "r-1"}], ARN)
    assert event == {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "r-1",
                "body": "",
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": ARN,
                "awsRegion": "eu-west-2",
            }
        ]
    }


@pytest.fixture(name="sqs")
def _sqs(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture(name="queue")
def _queue(sqs: Any) -> Iterator[tuple[str, str]]:
    """A standard queue's URL and ARN; received messages come back after 1 s."""
    url = sqs.create_queue(
        QueueName=f"events-{uuid.uuid4().hex[:12]}", Attributes={"VisibilityTimeout": "1"}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    yield url, arn["Attributes"]["QueueArn"]
    sqs.delete_queue(QueueUrl=url)


MESSAGE_ATTRIBUTES: Mapping[str, Any] = {
    "kind": {"DataType": "String", "StringValue": "order"},
    "count": {"DataType": "Number", "StringValue": "3"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffraw"},
}
LAMBDA_ATTRIBUTES = {
    "kind": _lambda_attribute("String", stringValue="order"),
    "count": _lambda_attribute("Number", stringValue="3"),
    "blob": _lambda_attribute("Binary", binaryValue=base64.b64encode(b"\x00\xffraw").decode()),
}


@pytest.mark.aws
def test_received_messages_become_the_event_lambda_would_build(
    sqs: Any, queue: tuple[str, str]
) -> None:
    url, arn = queue
    sqs.send_message(QueueUrl=url, MessageBody="é", MessageAttributes=MESSAGE_ATTRIBUTES)
    messages = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    (message,) = messages
    (record,) = event_from_received(messages, arn)["Records"]
    assert record == {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": "é",
        "attributes": message["Attributes"],
        "messageAttributes": LAMBDA_ATTRIBUTES,
        "md5OfBody": hashlib.md5("é".encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"] is not message["Attributes"]


@pytest.mark.aws
def test_poll_once_hands_the_handler_the_whole_event_and_its_context(
    sqs: Any, queue: tuple[str, str]
) -> None:
    url, arn = queue
    sqs.send_message(QueueUrl=url, MessageBody="one", MessageAttributes=MESSAGE_ATTRIBUTES)
    seen: list[tuple[dict[str, Any], object]] = []
    context = object()

    def handler(event: dict[str, Any], given: object) -> None:
        seen.append((event, given))

    assert poll_once(handler, sqs, url, context=context) == []
    ((event, given),) = seen
    assert given is context
    (record,) = event["Records"]
    assert record["messageAttributes"] == LAMBDA_ATTRIBUTES  # asked for with "All"
    assert set(record["attributes"]) >= {"SentTimestamp", "SenderId", "ApproximateReceiveCount"}
    assert record["eventSourceARN"] == arn
    assert poll_once(handler, sqs, url) == []  # deleted: the queue is empty now
    assert len(seen) == 1  # an empty receive invokes nothing


@pytest.mark.aws
def test_poll_once_receives_at_most_max_messages_and_an_exception_deletes_nothing(
    sqs: Any, queue: tuple[str, str]
) -> None:
    url, _ = queue
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sizes: list[int] = []

    def handler(event: dict[str, Any], _: object) -> None:
        sizes.append(len(event["Records"]))
        raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError, match="the handler failed"):
        poll_once(handler, sqs, url, max_messages=1, visibility_timeout=0)
    assert sizes == [1]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # nothing deleted, and the message it held is back at once (visibility 0, not 1 s)
    assert attributes["ApproximateNumberOfMessages"] == "3"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
