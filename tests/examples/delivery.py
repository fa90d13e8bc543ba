"""Lambda's SQS poller, over the in-memory queue: for the consumer's unit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens import sqs
from serpens.fakes import AsyncInMemoryQueue
from serpens.testing.sqs_events import sqs_event, sqs_record


async def deliver(
    queue: AsyncInMemoryQueue, handler: Callable[[dict[str, Any], Any], sqs.BatchResponse | None]
) -> list[str]:
    """What Lambda's SQS poller does, over the in-memory queue; return the failed message ids."""
    messages = await queue.receive(max_messages=10)
    event = sqs_event(
        *(sqs_record(m.body, message_id=m.id, receive_count=m.receive_count) for m in messages)
    )
    response = handler(event, None) or {"batchItemFailures": []}
    failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    for message in messages:
        if message.id not in failed:
            await queue.ack(message)
    return failed
