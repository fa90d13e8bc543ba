"""Lambda SQS events for tests, in the exact shape the Lambda SQS poller delivers.

``sqs_event(sqs_record("hello"), ...)`` builds an event from scratch;
``event_from_received(messages, queue_arn)`` turns what boto3's ``receive_message``
returned into the event Lambda would have built from the same messages, so a handler
can be tested end to end against a real (or moto's) SQS queue. No SDK is imported.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["DEFAULT_QUEUE_ARN", "event_from_received", "poll_once", "sqs_event", "sqs_record"]

DEFAULT_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:my-queue"


def _lambda_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:  # Lambda delivers binary values base64-encoded
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return out


def sqs_record(
    body: str,
    *,
    queue_arn: str = DEFAULT_QUEUE_ARN,
    message_id: str | None = None,
    attributes: Mapping[str, str | int | float] | None = None,
    group_id: str | None = None,
    receive_count: int = 1,
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    """One Lambda SQS record; numbers in *attributes* get the ``Number`` data type."""
    sent_ms = int((sent_at.timestamp() if sent_at else time.time()) * 1000)
    system = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent_ms),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(sent_ms),
    }
    if group_id is not None:
        system["MessageGroupId"] = group_id
        system["MessageDeduplicationId"] = uuid.uuid4().hex
        system["SequenceNumber"] = str(time.time_ns())
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"AQEB{uuid.uuid4().hex}",
        "body": body,
        "attributes": system,
        "messageAttributes": {
            name: _lambda_attribute(
                {"DataType": "String", "StringValue": value}
                if isinstance(value, str)
                else {"DataType": "Number", "StringValue": str(value)}
            )
            for name, value in (attributes or {}).items()
        },
        "md5OfBody": hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def sqs_event(*records: Mapping[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event carrying *records* in order."""
    return {"Records": [dict(record) for record in records]}


def event_from_received(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The Lambda event for *messages* as returned by boto3's ``receive_message``.

    Receive with ``MessageSystemAttributeNames=["All"]`` and
    ``MessageAttributeNames=["All"]`` so the records carry what Lambda's would.
    """
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message.get("Body", ""),
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: _lambda_attribute(value)
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for message in messages
        ]
    }


def poll_once(
    handler: Callable[[dict[str, Any], Any], Mapping[str, Any] | None],
    client: Any,
    queue_url: str,
    *,
    max_messages: int = 10,
    visibility_timeout: int | None = None,
    context: Any = None,
) -> list[str]:
    """Do what Lambda's SQS poller does once; return the ids the handler reported failed.

    Receives up to *max_messages* from *queue_url* with the boto3 SQS *client*, invokes
    *handler* with the Lambda event and *context*, then deletes every message it did not
    report in ``batchItemFailures`` (``ReportBatchItemFailures`` semantics). An exception
    from the handler deletes nothing, as on Lambda.
    """
    request: dict[str, Any] = {
        "QueueUrl": queue_url,
        "MaxNumberOfMessages": max_messages,
        "MessageSystemAttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    if visibility_timeout is not None:
        request["VisibilityTimeout"] = visibility_timeout
    messages = client.receive_message(**request).get("Messages", [])
    if not messages:
        return []
    arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    response = handler(event_from_received(messages, arn["Attributes"]["QueueArn"]), context)
    failed = [item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])]
    for message in messages:
        if message["MessageId"] not in failed:
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return failed
