"""``sqs.async_handler``: nothing of a batch outlives its invocation.

A processor that raises ``CancelledError``, ``KeyboardInterrupt`` or ``SystemExit`` stops
the batch: its siblings are cancelled and awaited before the handler returns or raises,
the records not processed are reported, and the next warm invocation on the same
process-wide loop starts clean.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from serpens import _lambda_loop, sqs
from serpens.sqs._async_batch import _all_done, run_async
from serpens.testing.sqs_events import sqs_event, sqs_record

FIFO_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"


def _ids(response: sqs.BatchResponse | None) -> list[str]:
    return [
        item["itemIdentifier"]
        for item in (response or {"batchItemFailures": []})["batchItemFailures"]
    ]


def _batch_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks(_lambda_loop.get_loop()) if not t.done()}


class _Probe:
    """A processor: *fatal* body raises *exc* at once; the others take 50 ms."""

    def __init__(self, fatal: str, exc: BaseException) -> None:
        self.fatal = fatal
        self.exc = exc
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []

    async def __call__(self, record: sqs.Record) -> None:
        self.started.append(record.raw_body)
        if record.raw_body == self.fatal:
            await asyncio.sleep(0.005)
            raise self.exc
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            self.cancelled.append(record.raw_body)
            raise
        self.finished.append(record.raw_body)


def _next_invocation_is_clean(probe: _Probe) -> None:
    """A warm invocation right after: it succeeds, and nothing of the last batch runs."""
    finished, cancelled = list(probe.finished), list(probe.cancelled)
    seen: list[str] = []

    @sqs.async_handler(max_concurrency=3)
    async def next_batch(record: sqs.Record) -> None:
        await asyncio.sleep(0.1)  # longer than any sibling of the last batch would take
        seen.append(record.raw_body)

    event = sqs_event(*(sqs_record(f"n{i}", message_id=f"n{i}") for i in range(3)))
    assert next_batch(event, None) is None
    assert sorted(seen) == ["n0", "n1", "n2"]
    assert probe.finished == finished  # no sibling of the last batch ran meanwhile
    assert probe.cancelled == cancelled
    assert not _batch_tasks()


def _event(n: int) -> dict[str, Any]:
    return sqs_event(*(sqs_record(f"b{i}", message_id=f"m{i}") for i in range(n)))


def test_a_cancelled_processor_stops_the_batch_and_reports_what_did_not_run() -> None:
    probe = _Probe("b1", asyncio.CancelledError())
    handler = sqs.async_handler(probe, max_concurrency=3)

    response = handler(_event(8), None)

    assert not _batch_tasks()  # every sibling was awaited before the return
    assert sorted(probe.cancelled) == ["b0", "b2"]  # the in-flight siblings
    assert probe.finished == []
    assert probe.started == ["b0", "b1", "b2"]  # no new record started after the stop
    assert _ids(response) == [f"m{i}" for i in range(8)]  # nothing processed: all reported
    _next_invocation_is_clean(probe)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3)], ids=type)
def test_an_interrupt_propagates_after_the_siblings_are_cancelled_and_awaited(
    exc: BaseException,
) -> None:
    probe = _Probe("b1", exc)
    handler = sqs.async_handler(probe, max_concurrency=3)

    with pytest.raises(type(exc)) as raised:
        handler(_event(8), None)

    assert raised.value is exc
    assert not _batch_tasks()
    assert sorted(probe.cancelled) == ["b0", "b2"]
    assert probe.started == ["b0", "b1", "b2"]
    _next_invocation_is_clean(probe)


def test_records_done_before_the_stop_stay_acknowledged() -> None:
    done: list[str] = []

    @sqs.async_handler(max_concurrency=2)
    async def process(record: sqs.Record) -> None:
        if record.raw_body == "b3":
            raise asyncio.CancelledError
        done.append(record.raw_body)  # no await: b0 to b2 complete before b3 starts

    response = process(_event(6), None)

    assert sorted(done) == ["b0", "b1", "b2"]
    assert _ids(response) == ["m3", "m4", "m5"]  # the cancelled record and the rest
    assert not _batch_tasks()


def test_a_sibling_that_swallows_its_cancel_starts_no_new_record() -> None:
    started: list[str] = []

    @sqs.async_handler(max_concurrency=2)
    async def process(record: sqs.Record) -> None:
        started.append(record.raw_body)
        if record.raw_body == "b1":
            await asyncio.sleep(0.005)
            raise asyncio.CancelledError
        with contextlib.suppress(asyncio.CancelledError):  # ends normally when cancelled
            await asyncio.sleep(0.05)

    response = process(_event(6), None)

    assert started == ["b0", "b1"]  # b0's worker went on to find nothing left
    assert _ids(response) == [f"m{i}" for i in range(1, 6)]  # b0 done: acknowledged
    assert not _batch_tasks()


def test_one_worker_reports_the_rest_of_the_batch() -> None:
    probe = _Probe("b1", asyncio.CancelledError())
    response = sqs.async_handler(probe, max_concurrency=1)(_event(4), None)
    assert probe.finished == ["b0"]
    assert _ids(response) == ["m1", "m2", "m3"]
    _next_invocation_is_clean(probe)


def test_fifo_an_interrupted_group_and_the_cancelled_groups_are_reported_in_order() -> None:
    seen: list[str] = []

    @sqs.async_handler(max_concurrency=2)
    async def process(record: sqs.Record) -> None:
        if record.raw_body == "a2":
            raise asyncio.CancelledError
        await asyncio.sleep(0.01 if record.raw_body[0] == "a" else 0.02)
        seen.append(record.raw_body)

    bodies = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A"), ("c1", "C")]
    event = sqs_event(
        *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies)
    )

    response = process(event, None)

    assert seen == ["a1"]  # b1 was in flight when a2 stopped the batch: cancelled
    assert _ids(response) == ["b1", "a2", "b2", "a3", "c1"]  # batch order, nothing lost
    assert not _batch_tasks()

    # the redelivered records, next invocation: each group in order, nothing left over
    seen.clear()
    redelivered = sqs_event(
        *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies[1:2])
    )
    assert process(redelivered, None) is None
    assert seen == ["b1"]


def test_outside_aws_an_exception_propagates_after_the_siblings_are_awaited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
    error = RuntimeError("boom")
    probe = _Probe("b1", error)

    with pytest.raises(RuntimeError) as raised:
        sqs.async_handler(probe, max_concurrency=3)(_event(6), None)

    assert raised.value is error
    assert not _batch_tasks()
    assert sorted(probe.cancelled) == ["b0", "b2"]
    monkeypatch.setenv("CLOUD_PROVIDER", "aws")
    _next_invocation_is_clean(probe)


def test_an_interrupt_from_a_loop_callback_still_cleans_the_batch_up() -> None:
    """KeyboardInterrupt raised by a callback on the loop (not in a processor's frame)."""
    probe = _Probe("never", RuntimeError())

    def interrupt() -> None:
        raise KeyboardInterrupt

    @sqs.async_handler(max_concurrency=3)
    async def process(record: sqs.Record) -> None:
        if record.raw_body == "b1":
            asyncio.get_running_loop().call_later(0.005, interrupt)
        await probe(record)

    with pytest.raises(KeyboardInterrupt):
        process(_event(8), None)

    assert not _batch_tasks()
    assert sorted(probe.cancelled) == ["b0", "b1", "b2"]
    assert probe.finished == []
    _next_invocation_is_clean(probe)


def test_a_cancelled_invocation_cancels_and_awaits_every_worker() -> None:
    """The call itself cancelled (a deadline around it): no worker outlives it."""
    probe = _Probe("never", asyncio.CancelledError())

    errors: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        call = asyncio.ensure_future(run_async(_event(6), probe, 3))
        await asyncio.sleep(0.01)  # three records in flight
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} == set()
        assert sorted(probe.cancelled) == ["b0", "b1", "b2"]
        await asyncio.sleep(0.06)  # nothing left to finish later, nothing to call back
        assert probe.finished == []

    asyncio.run(main())
    assert probe.started == ["b0", "b1", "b2"]
    assert errors == []  # no callback failed once the call was gone


def test_waiting_for_workers_returns_once_all_are_done_even_none() -> None:
    async def main() -> list[bool]:
        await asyncio.wait_for(_all_done([]), 1)  # no worker: nothing to wait for
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(asyncio.sleep(delay)) for delay in (0, 0.02, 0.01)]
        await asyncio.sleep(0.005)  # the first is done before the wait starts
        await asyncio.wait_for(_all_done(tasks), 1)
        return [task.done() for task in tasks]

    assert asyncio.run(main()) == [True, True, True]
