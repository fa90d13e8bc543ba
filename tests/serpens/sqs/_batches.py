"""What the ``test_handler_*`` modules share: a FIFO queue's ARN, a batch answer's ids."""

from __future__ import annotations

from serpens import sqs

FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"


def _ids(response: sqs.BatchResponse | None) -> list[str]:
    assert response is not None
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]
