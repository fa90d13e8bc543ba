"""``sqs.handler(skip_group_on_error=True)`` on a FIFO batch: only the failed group stops.

A record of a group that already failed is reported without running, and the batch goes
on: later records of other groups still run, and later records of the failed group are
reported too. Pinned with the failed group's records interleaved with another group's,
so a runner that stopped at the first skipped record would acknowledge records it never
ran (the batch answer lists only what to redeliver).
"""

from __future__ import annotations

from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens.sqs._batches import FIFO_ARN, _ids


def test_records_after_a_skipped_one_still_run_or_are_reported() -> None:
    done: list[str] = []

    def process(record: sqs.Record) -> None:
        done.append(record.raw_body)
        if record.raw_body == "a1":
            raise RuntimeError("boom")

    handler = sqs.handler(skip_group_on_error=True)(process)
    order = [("a1", "g1"), ("a2", "g1"), ("b1", "g2"), ("a3", "g1"), ("b2", "g2")]
    event = sqs_event(
        *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in order)
    )
    assert _ids(handler(event, None)) == ["a1", "a2", "a3"]
    assert done == ["a1", "b1", "b2"]
