"""Fixtures of the handler tests that run on moto's SQS server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest


@pytest.fixture(name="client")
def _client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


@pytest.fixture(name="queue_url")
def _queue_url(client: Any) -> Iterator[str]:
    """A standard queue whose messages come back 1 s after a receive."""
    url = client.create_queue(
        QueueName=f"rel-{uuid.uuid4().hex[:12]}", Attributes={"VisibilityTimeout": "1"}
    )["QueueUrl"]
    yield url
    client.delete_queue(QueueUrl=url)
