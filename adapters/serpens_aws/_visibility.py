"""``ChangeMessageVisibility`` for a Lambda SQS record, behind ``serpens.sqs.RetryLater``.

``serpens.sqs`` imports this module on first use only, so it stays free of boto3 at
import time and costs nothing to handlers that never back off.

The change is best effort (a record it misses is reported anyway and comes back after
the queue's visibility timeout), so it must never hold the invocation: one attempt,
1 s to connect, its whole answer within 2 s, or by the caller's *limit* if sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final

import boto3
from botocore.config import Config

from serpens.errors import ValidationError
from serpens_aws._deadline import bound, one_call

__all__ = ["change_visibility", "queue_url_from_arn"]

_lock = threading.Lock()
_clients: dict[str, Any] = {}  # region -> boto3 SQS client, one per process

_CONFIG: Final = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1}
)
"""One attempt (a retry's back-off sleep would outlast any limit), short deadlines."""


def _client(region: str) -> Any:
    with _lock:
        client = _clients.get(region)
        if client is None:
            client = boto3.client("sqs", region_name=region, config=_CONFIG)
            bound(client)
            _clients[region] = client
        return client


def _arn_fields(arn: str) -> list[str]:
    """The six fields of ``arn:aws:sqs:REGION:ACCOUNT:NAME``, or a ValidationError."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":  # noqa: PLR2004 - ARN fields
        raise ValidationError(f"not an SQS queue ARN: {arn!r}")
    return parts


def queue_url_from_arn(arn: str, endpoint_url: str) -> str:
    """Return the queue URL of ``arn:aws:sqs:REGION:ACCOUNT:NAME`` at *endpoint_url*."""
    parts = _arn_fields(arn)
    return f"{endpoint_url.rstrip('/')}/{parts[4]}/{parts[5]}"


def change_visibility(
    record: Mapping[str, Any], timeout: int, *, limit: float | None = None
) -> None:
    """Set the visibility timeout of the message behind Lambda SQS *record*.

    The queue URL is derived from the record's ``eventSourceARN`` and the client's
    endpoint (``AWS_ENDPOINT_URL`` is honoured), the region from the ARN. *limit*, a
    :func:`time.monotonic` time, cuts the answer by then (the connect takes at most
    1 s more). botocore's errors pass through: the caller logs them.
    """
    arn = record.get("eventSourceARN") or ""
    # refused before a client is built (without awsRegion, for the region "": botocore's
    # "Invalid endpoint: https://sqs..amazonaws.com", naming neither record nor ARN)
    fields = _arn_fields(arn)
    region = record.get("awsRegion") or fields[3]
    client = _client(region)
    with one_call(limit):
        client.change_message_visibility(
            QueueUrl=queue_url_from_arn(arn, client.meta.endpoint_url),
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=timeout,
        )
