"""``sqs.async_handler``: a failed record (or FIFO group) does not stop its worker.

A record that fails is reported and its worker takes the next record; on a FIFO queue a
failed group stops at its failure while the worker takes the next group ("other groups
continue"). With ``max_concurrency=1`` the single worker does all the work, so a worker
that gave up after a failure would report every later record without running it.
Also pinned: the bound on records at once (ten by default, also when ``sqs.handler``
hands an ``async def`` processor on, with its own ``max_concurrency``), the log line of
a FIFO record failed by the 2.9 dict signal (naming its own message), and the error
line naming the record and the exception when an interrupt stops the batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens.sqs._batches import FIFO_ARN, _ids


def test_one_worker_goes_on_after_a_failed_record() -> None:
    done: list[str] = []

    async def processor(record: sqs.Record) -> object:
        done.append(record.raw_body)
        if record.raw_body == "raise":
            raise RuntimeError("boom")
        if record.raw_body == "dict":
            return {"messageId": record.message_id}
        return None

    process = sqs.async_handler(processor, max_concurrency=1)

    bodies = ["raise", "ok1", "dict", "ok2"]
    event = sqs_event(*(sqs_record(b, message_id=f"m-{b}") for b in bodies))
    assert _ids(process(event, None)) == ["m-raise", "m-dict"]
    assert done == bodies


def test_fifo_one_worker_goes_on_to_the_next_group_after_a_failed_one() -> None:
    done: list[str] = []

    async def processor(record: sqs.Record) -> None:
        done.append(record.raw_body)
        if record.raw_body == "a1":
            raise RuntimeError("boom")

    process = sqs.async_handler(processor, max_concurrency=1)

    groups = [("a1", "g1"), ("b1", "g2"), ("a2", "g1"), ("b2", "g2")]
    event = sqs_event(
        *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in groups)
    )
    assert _ids(process(event, None)) == ["a1", "a2"]
    assert done == ["a1", "b1", "b2"]  # a2 waits behind its group's failure


def _peak(handler_of: Callable[[Callable[[sqs.Record], Awaitable[None]]], Any]) -> int:
    """How many of 25 records the handler *handler_of* builds ran at once at most."""
    running = 0
    peak = 0

    async def processor(record: sqs.Record) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    event = sqs_event(*(sqs_record(str(i), message_id=f"m{i}") for i in range(25)))
    assert handler_of(processor)(event, None) is None
    return peak


def test_at_most_ten_records_run_at_once_by_default() -> None:
    assert _peak(sqs.async_handler) == 10


def test_sqs_handler_gives_an_async_processor_the_same_default_bound() -> None:
    assert _peak(sqs.handler) == 10


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_max_concurrency_records_run_at_once(limit: int) -> None:
    assert _peak(lambda f: sqs.async_handler(f, max_concurrency=limit)) == limit


def test_sqs_handler_hands_its_max_concurrency_to_an_async_processor() -> None:
    assert _peak(sqs.handler(max_concurrency=2)) == 2


def test_fifo_dict_signal_log_lines_name_their_own_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def processor(record: sqs.Record) -> object:
        await asyncio.sleep(0.001 * (int(record.raw_body) % 3))  # interleave the groups
        return {"messageId": record.message_id}

    process = sqs.async_handler(processor, max_concurrency=4)

    event = sqs_event(
        *(
            sqs_record(str(i), message_id=f"m{i}", group_id=f"g{i}", queue_arn=FIFO_ARN)
            for i in range(6)
        )
    )
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert len(_ids(process(event, None))) == 6
    lines = [r for r in caplog.records if "legacy dict signal" in r.getMessage()]
    assert sorted(r.__dict__["message_id"] for r in lines) == [f"m{i}" for i in range(6)]
    assert all(
        r.getMessage() == f"SQS message {r.__dict__['message_id']} failed (legacy dict signal)"
        for r in lines
    )


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_an_interrupt_is_logged_naming_its_record_and_type(
    fifo: bool, caplog: pytest.LogCaptureFixture
) -> None:
    arn = FIFO_ARN if fifo else "arn:aws:sqs:us-east-1:123456789012:plain"

    async def processor(record: sqs.Record) -> None:
        raise KeyboardInterrupt

    process = sqs.async_handler(processor, max_concurrency=1)

    event = sqs_event(sqs_record("x", message_id="m-stop", group_id="g", queue_arn=arn))
    with caplog.at_level(logging.ERROR, "serpens.sqs"), pytest.raises(KeyboardInterrupt):
        process(event, None)
    (line,) = [r for r in caplog.records if r.name == "serpens.sqs"]
    assert line.levelno == logging.ERROR
    assert "m-stop" in line.getMessage()
    assert "KeyboardInterrupt" in line.getMessage()


def test_outside_aws_a_propagated_error_is_not_logged_as_a_stop(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error reaches the caller as is: one failure line, none saying the batch stopped."""
    monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

    async def processor(record: sqs.Record) -> None:
        raise RuntimeError("boom")

    process = sqs.async_handler(processor, max_concurrency=1)

    with caplog.at_level(logging.INFO, "serpens.sqs"), pytest.raises(RuntimeError):
        process(sqs_event(sqs_record("x", message_id="m-gcp")), None)
    texts = [r.getMessage() for r in caplog.records if r.name == "serpens.sqs"]
    assert texts == ["SQS message m-gcp failed on gcp: boom"]
