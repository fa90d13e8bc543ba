"""``RetryLater`` whose visibility change fails, on moto: logged naming the record.

The record's queue does not exist on moto's server, so ``ChangeMessageVisibility``
fails: the record is still reported (it comes back after the queue's own visibility
timeout) and the failure is logged with its traceback, naming the message, so an
operator can tell which record lost its back-off.
"""

from __future__ import annotations

import logging

import pytest

from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record


@pytest.mark.usefixtures("moto_endpoint")
def test_a_failed_change_is_logged_naming_the_record(caplog: pytest.LogCaptureFixture) -> None:
    def process(record: sqs.Record) -> None:
        raise sqs.RetryLater(30)

    raw = sqs_record(
        "x", message_id="m-lost", queue_arn="arn:aws:sqs:us-east-1:123456789012:no-such-queue"
    )
    with caplog.at_level(logging.WARNING, "serpens.sqs"):
        response = sqs.handler(process)(sqs_event(raw), None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-lost"}]}
    (line,) = [r for r in caplog.records if r.name == "serpens.sqs"]
    assert line.levelno == logging.ERROR
    assert "could not delay SQS message m-lost" in line.getMessage()
    assert line.exc_info is not None
