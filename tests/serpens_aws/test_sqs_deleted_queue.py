"""SQS queue promises found missing by a mutation round of ``serpens_aws/_queue.py``.

Each test here kills a mutant the contract cells and the other SQS adapter tests let
live (see docs/contract-tests.md, "Adapters"): every call of the queue maps a failure to
an error naming its queue, on the traced send path and on the plain one alike (only
``receive`` had that checked, by ``test_error_map.py``), and so do the raw sends behind
``serpens.sqs.publish_message`` and ``publish_message_batch``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from serpens.errors import NotFoundError
from serpens_aws import SQSQueue
from serpens_aws._queue_publish import send_raw, send_raw_batch

pytestmark = pytest.mark.aws


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


def test_each_call_on_a_deleted_queue_is_not_found_naming_the_queue(
    sqs_client: Any, traced: bool
) -> None:
    """send, receive, ack and change_visibility each say which queue is gone."""
    name = f"gone-{uuid.uuid4().hex[:8]}"
    url = sqs_client.create_queue(QueueName=name)["QueueUrl"]
    queue = SQSQueue(url, sqs_client)
    queue.send("in flight")
    (message,) = queue.receive(visibility_timeout=30)
    sqs_client.delete_queue(QueueUrl=url)
    calls: dict[str, Callable[[], object]] = {
        "send": lambda: queue.send("late"),
        "receive": queue.receive,
        "ack": lambda: queue.ack(message),
        "change_visibility": lambda: queue.change_visibility(message, 5),
    }
    for call, run in calls.items():
        with pytest.raises(NotFoundError) as info:
            run()
        assert repr(name) in str(info.value), (call, traced, str(info.value))


def test_the_raw_sends_on_a_deleted_queue_are_not_found_naming_the_queue(
    sqs_client: Any, traced: bool
) -> None:
    """The queue's name, as the queue's own calls give it: not its URL, nor part of it."""
    name = f"gone-{uuid.uuid4().hex[:8]}"
    url = sqs_client.create_queue(QueueName=name)["QueueUrl"]
    queue = SQSQueue(url, sqs_client)
    sqs_client.delete_queue(QueueUrl=url)
    calls: dict[str, Callable[[], object]] = {
        "send_raw": lambda: send_raw(queue, {"MessageBody": "late"}),
        "send_raw_batch": lambda: send_raw_batch(queue, [{"Id": "0", "MessageBody": "late"}]),
    }
    for call, run in calls.items():
        with pytest.raises(NotFoundError) as info:
            run()
        assert f"on SQS queue {name!r}" in str(info.value), (call, traced, str(info.value))
