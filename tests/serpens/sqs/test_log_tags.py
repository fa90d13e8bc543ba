"""Serpens' log records name the SQS message being processed, and only while it is.

``sqs.async_handler`` runs records concurrently; each worker tags the log records with its
current record's message id and restores the caller's tags when it ends.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.testing.sqs_events import sqs_event, sqs_record


@pytest.mark.parametrize("concurrency", [1, 4])
def test_each_log_record_names_its_own_message(
    concurrency: int, caplog: pytest.LogCaptureFixture
) -> None:
    event = sqs_event(*(sqs_record(f"b{i}", message_id=f"m{i}") for i in range(12)))

    @sqs.async_handler(max_concurrency=concurrency)
    async def process(record: sqs.Record) -> object:
        await asyncio.sleep(0.001 * (int(record.message_id[1:]) % 3))  # interleave workers
        return {"messageId": record.message_id}  # the legacy failure signal: logged

    with caplog.at_level(logging.INFO, logger="serpens.sqs"):
        response = process(event, None)
        logging.getLogger("serpens.sqs").info("after the batch")

    assert response is not None
    assert len(response["batchItemFailures"]) == 12
    legacy = [r for r in caplog.records if "legacy dict signal" in r.getMessage()]
    assert sorted(r.__dict__["message_id"] for r in legacy) == sorted(f"m{i}" for i in range(12))
    assert all(
        r.getMessage() == f"SQS message {r.__dict__['message_id']} failed (legacy dict signal)"
        for r in legacy
    )
    after = [r for r in caplog.records if r.getMessage() == "after the batch"]
    assert [r.__dict__["message_id"] for r in after] == [None]


@pytest.mark.parametrize(("concurrency", "fifo"), [(1, False), (4, False), (4, True)])
def test_a_record_without_a_message_id_is_never_reported_as_processed(
    concurrency: int, fifo: bool
) -> None:
    """Not an SQS record: its error stops the batch instead of vanishing in a worker."""
    arn = "arn:aws:sqs:eu-west-1:123456789012:orders" + (".fifo" if fifo else "")
    records = [
        sqs_record(f"b{i}", message_id=f"m{i}", group_id=f"g{i % 2}", queue_arn=arn)
        for i in range(6)
    ]
    del records[3]["messageId"]
    done: list[str] = []

    @sqs.async_handler(max_concurrency=concurrency)
    async def process(record: sqs.Record) -> None:
        done.append(record.raw_body)

    with pytest.raises(ValidationError, match=r"Records\[3\] has no 'messageId'"):
        process(sqs_event(*records), None)
    assert "b3" not in done
