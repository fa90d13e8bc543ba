"""Messaging benchmarks: the per-record overhead of ``sqs.handler`` and ``sqs.async_handler``.

The baseline is what a hand-written Lambda handler does: a plain ``for`` loop over
``event["Records"]`` with a ``try/except`` per record that collects failures. Both run the
same no-op processor on the same event, so the difference is serpens' overhead per
record (building the lazy ``Record``, the failure bookkeeping). Targets, at 10, 100, 1k
and 10k records so growth shows: <= 2 us/record of overhead sync; async at most 1.1x the
fastest raw path a careful engineer writes: a plain pool of as many workers as
``max_concurrency`` draining an ``asyncio.Queue`` of the records on the same loop (no
task and no semaphore per record). The per-record total against 10 us is informative
(at 10 records it is dominated by entering the loop and creating one task per worker).
An informative row compares with the leanest pool (workers sharing one iterator, handing
the processor the raw dict); another with that pool doing per record what serpens' workers
must do, build the ``sqs.Record`` the processor receives and set the log context's
message id (one ``ContextVar.set``): the floor of the handler's own work. The gap to the
leanest pool is those two (each about 0.35 to 0.4 us per record on the 2-core VM of
2026-12-05, where the bare shared-iterator loop costs 0.23 us).

Run: ``python -m bench.messaging``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench._common import Result, interleaved_best, print_table, scaled
from serpens import _lambda_loop, _tracing, sqs
from serpens.testing.sqs_events import sqs_event, sqs_record

SYNC_BUDGET_US = 2.0
ASYNC_BUDGET_US = 10.0


def _event(n: int) -> dict[str, Any]:
    return sqs_event(*(sqs_record(f'{{"n": {i}}}', attributes={"k": "v"}) for i in range(n)))


def _noop(record: object) -> None:  # noqa: ARG001 - the processor under test
    return None


def _plain_loop(event: dict[str, Any], context: object) -> dict[str, Any] | None:  # noqa: ARG001 - Lambda signature
    failures = []
    for record in event["Records"]:
        try:
            _noop(record)
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures} if failures else None


async def _anoop(record: object) -> None:  # noqa: ARG001 - the processor under test
    return None


async def _worker_pool(event: dict[str, Any], limit: int) -> dict[str, Any] | None:
    """The fastest raw path a careful engineer writes: *limit* workers draining a queue."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for record in event["Records"]:
        queue.put_nowait(record)
    failures: list[dict[str, str]] = []

    async def worker() -> None:
        while not queue.empty():
            record = queue.get_nowait()
            try:
                await _anoop(record)
            except Exception:
                failures.append({"itemIdentifier": record["messageId"]})

    await asyncio.gather(*(worker() for _ in range(min(limit, queue.qsize()))))
    return {"batchItemFailures": failures} if failures else None


async def _iterator_pool(event: dict[str, Any], limit: int) -> dict[str, Any] | None:
    """The same pool with the queue replaced by one shared iterator: the leanest pool."""
    records = iter(event["Records"])
    failures: list[dict[str, str]] = []

    async def worker() -> None:
        for record in records:
            try:
                await _anoop(record)
            except Exception:
                failures.append({"itemIdentifier": record["messageId"]})

    await asyncio.gather(*(worker() for _ in range(min(limit, len(event["Records"])))))
    return {"batchItemFailures": failures} if failures else None


async def _floor_pool(event: dict[str, Any], limit: int) -> dict[str, Any] | None:
    """The leanest pool doing per record what each of serpens' workers must do.

    It builds the ``sqs.Record`` the processor receives and sets the log context's
    message id (``serpens._tracing.log_tag_setter``), so serpens' log records, and tasks
    the processor starts, name the message: the floor of ``async_handler``'s own work.
    """
    records = iter(event["Records"])
    failures: list[dict[str, str]] = []
    set_tags = _tracing.log_tag_setter()

    async def worker() -> None:
        for record in records:
            set_tags((None, record["messageId"]))
            try:
                await _anoop(sqs.Record(record))
            except Exception:
                failures.append({"itemIdentifier": record["messageId"]})

    await asyncio.gather(*(worker() for _ in range(min(limit, len(event["Records"])))))
    return {"batchItemFailures": failures} if failures else None


def _per_record_us(handlers: list[Any], event: dict[str, Any]) -> list[float]:
    """Microseconds per record of each Lambda handler on *event*, measured in turns.

    About 20,000 records a round, fifteen rounds, the best round each
    (:func:`~bench._common.interleaved_best`): every contender shares the same load.
    """
    n = len(event["Records"])
    calls = [lambda handler=handler: handler(event, None) for handler in handlers]
    best = interleaved_best(calls, rounds=scaled(15, minimum=2), number=scaled(max(1, 20_000 // n)))
    return [best[call] / n * 1e6 for call in calls]


def _sync_results(n: int) -> list[Result]:
    event = _event(n)
    handler = sqs.handler(_noop)
    plain, serpens = _per_record_us([_plain_loop, handler], event)
    assert handler(event, None) is None
    return [
        Result(f"sqs.handler, {n} records, no-op", serpens, plain, "us/record", "plain loop"),
        Result(
            f"sqs.handler overhead, {n} records",
            serpens - plain,
            SYNC_BUDGET_US,
            "us/record",
            "2 us budget",
            target=1.0,
        ),
    ]


def _async_results(n: int) -> list[Result]:
    event = _event(n)
    handler = sqs.async_handler(_anoop, max_concurrency=10)
    plain, lean, floor, serpens = _per_record_us(
        [
            lambda event, _context: _lambda_loop.run(_worker_pool(event, 10)),
            lambda event, _context: _lambda_loop.run(_iterator_pool(event, 10)),
            lambda event, _context: _lambda_loop.run(_floor_pool(event, 10)),
            handler,
        ],
        event,
    )
    assert handler(event, None) is None
    return [
        Result(
            f"sqs.async_handler, {n} records, no-op",
            serpens,
            plain,
            "us/record",
            "worker pool of 10, same loop",
            target=1.1,
        ),
        Result(
            f"sqs.async_handler, {n} records, no-op (vs. shared iterator)",
            serpens,
            lean,
            "us/record",
            "10 workers sharing one iterator",
        ),
        Result(
            f"sqs.async_handler, {n} records, no-op (vs. its floor)",
            serpens,
            floor,
            "us/record",
            "shared iterator + a Record and a log tag per record",
        ),
        Result(
            f"sqs.async_handler per record, {n} records",
            serpens,
            ASYNC_BUDGET_US,
            "us/record",
            "10 us budget",
        ),
    ]


def _data_result() -> Result:
    """With a processor that reads ``record.data``: JSON decoding included on both sides."""
    import json  # noqa: PLC0415

    event = _event(10)

    def plain(event: dict[str, Any], context: object) -> None:  # noqa: ARG001 - Lambda signature
        for record in event["Records"]:
            try:  # noqa: SIM105 - what a hand-written handler does, and cheaper
                json.loads(record["body"])
            except Exception:
                pass

    ours, base = _per_record_us([sqs.handler(lambda record: record.data), plain], event)
    return Result(
        "sqs.handler reading record.data, 10 records",
        ours,
        base,
        "us/record",
        "loop + json.loads",
    )


def main() -> list[Result]:
    return [
        *(row for n in (10, 100, 1_000, 10_000) for row in _sync_results(n)),
        _data_result(),
        *(row for n in (10, 100, 1_000, 10_000) for row in _async_results(n)),
    ]


if __name__ == "__main__":
    print_table(main())
