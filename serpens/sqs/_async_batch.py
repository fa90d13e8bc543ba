"""The batch runner behind ``sqs.async_handler``: bounded concurrency on one event loop.

:func:`run_async` runs an ``async def`` processor over one event's records with a bounded
pool of workers (:class:`_AsyncBatch`); on a FIFO queue each message group runs in order
and stops at its first failure while other groups continue. Nothing of a batch outlives
its invocation: the workers are cancelled and awaited before it returns or raises. Kept
apart from the sync runner so its structured-concurrency rules live in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from serpens import _tracing
from serpens.sqs._failure import (
    RetryLater,
    dict_signal_fails,
    propagates,
    report_failure,
    report_propagated,
)
from serpens.sqs._record import BatchResponse, Record, batch_response, event_records, is_fifo

__all__ = ["run_async"]

logger = logging.getLogger("serpens.sqs")


async def _report(raw: Mapping[str, Any], exc: Exception) -> None:
    """Log a failed record; a :class:`RetryLater` also sets its visibility timeout."""
    if isinstance(exc, RetryLater):
        await asyncio.to_thread(report_failure, raw, exc)  # boto3 blocks: keep it off the loop
    else:
        report_failure(raw, exc)


async def _one_async(
    raw: Mapping[str, Any],
    processor: Callable[[Record], Awaitable[object]],
    propagate: bool,
) -> bool:
    """Process one record (its message id on serpens' log records); return whether it succeeded."""
    record = Record(raw)
    token = _tracing.tag_log(message_id=record.message_id)
    try:
        try:
            result = await processor(record)
        except Exception as exc:
            if propagate:  # no partial batch response outside AWS: the caller must see it
                report_propagated(raw, exc)
                raise
            await _report(raw, exc)
            return False
        if result is not None and isinstance(result, dict) and "messageId" in result:
            return not dict_signal_fails(raw, propagate)
        return True
    finally:
        _tracing.untag_log(token)


def _stopped(raw: Mapping[str, Any], exc: BaseException) -> None:
    if not isinstance(exc, Exception):  # an Exception here propagates to the caller as is
        logger.error(
            "SQS message %s: the processor raised %s; the batch stops and the records "
            "not processed are reported",
            raw.get("messageId"),
            type(exc).__name__,
        )


def _by_group(records: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    groups: dict[str | None, list[int]] = {}
    for index, raw in enumerate(records):
        groups.setdefault((raw.get("attributes") or {}).get("MessageGroupId"), []).append(index)
    return list(groups.values())


class _AsyncBatch:
    """One invocation's records, run by a bounded pool of workers on one loop.

    Workers share one iterator over the units of work (a record, or a whole FIFO group
    processed in order), so no task or semaphore is created per record. Nothing of the
    batch outlives :meth:`run` (structured concurrency, like ``asyncio.TaskGroup``): when
    a processor raises ``CancelledError``, ``KeyboardInterrupt``, ``SystemExit`` (or any
    exception outside AWS, where failures propagate) the batch stops, the other workers
    are cancelled and awaited, and every record not processed is reported. A
    ``CancelledError`` then ends in the batch response; anything else is re-raised once
    the workers are done.
    """

    __slots__ = (
        "failed",
        "fifo",
        "pending",
        "processor",
        "propagate",
        "records",
        "stop",
        "units",
        "workers",
    )

    def __init__(
        self, event: Mapping[str, Any], processor: Callable[[Record], Awaitable[object]]
    ) -> None:
        self.records = event_records(event)
        self.fifo = is_fifo(self.records)
        self.pending: Iterator[int] | Iterator[list[int]]
        if self.fifo:
            groups = _by_group(self.records)
            self.units = len(groups)
            self.pending = iter(groups)
        else:
            self.units = len(self.records)
            self.pending = iter(range(self.units))
        self.processor = processor
        self.propagate = propagates()
        self.failed: list[int] = []
        self.workers: list[asyncio.Task[None]] = []
        self.stop: BaseException | None = None  # the first error that stopped the batch

    def _halt(self, exc: BaseException) -> None:
        """Stop the batch: report every unit not started, cancel the other workers.

        Draining the shared iterator here ends each worker's loop at its next unit, so
        the record worker's hot path needs no check of its own (a worker whose processor
        swallowed the cancel finds nothing left).
        """
        if self.stop is not None:
            return
        self.stop = exc
        self._drain()
        current = asyncio.current_task()
        for task in self.workers:
            if task is not current:
                task.cancel()

    def _drain(self) -> None:
        """Report every unit not started yet as failed."""
        failed = self.failed
        for unit in self.pending:
            if isinstance(unit, int):
                failed.append(unit)
            else:
                failed.extend(unit)

    def _interrupted(self, raw: Mapping[str, Any], exc: BaseException) -> bool:
        """Handle a worker's BaseException; return whether the worker must re-raise it."""
        task = asyncio.current_task()
        if isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling():
            return not self.workers  # the inline worker: this call itself is cancelled
        _stopped(raw, exc)
        self._halt(exc)
        return False

    async def _record_worker(self, *, restore: bool = False) -> None:
        """Standard queue: one record at a time, the hot path kept free of extra frames.

        The worker tags serpens' log records with the current record's message id by
        setting the tag once per record (a worker runs its records one after another,
        never two at once). A worker task runs in its own copy of the context, which ends
        with it; the worker run inline (*restore*) gives the caller its tags back once,
        when it ends.
        """
        records, processor, propagate, failed = (
            self.records,
            self.processor,
            self.propagate,
            self.failed,
        )
        set_tags = _tracing.log_tag_setter()
        token = set_tags((None, None)) if restore else None
        index, raw = -1, cast("Mapping[str, Any]", {})  # bound before the first await
        try:
            for index in cast("Iterator[int]", self.pending):  # drained when the batch halts
                raw = records[index]
                set_tags((None, raw["messageId"]))  # Record.message_id, without the frame
                record = Record(raw)
                try:
                    result = await processor(record)
                except Exception as exc:
                    if propagate:  # no partial batch response outside AWS
                        report_propagated(raw, exc)
                        raise
                    failed.append(index)
                    await _report(raw, exc)
                    continue
                if (
                    result is not None
                    and isinstance(result, dict)
                    and "messageId" in result
                    and dict_signal_fails(raw, propagate)
                ):
                    failed.append(index)
        except BaseException as exc:
            failed.append(index)
            if self._interrupted(raw, exc):
                raise
        finally:
            if token is not None:
                _tracing.untag_log(token)

    async def _group_worker(self) -> None:
        """FIFO queue: one message group at a time, in order, up to its first failure."""
        records, processor, propagate, failed = (
            self.records,
            self.processor,
            self.propagate,
            self.failed,
        )
        pending = cast("Iterator[list[int]]", self.pending)
        while self.stop is None:
            indices = next(pending, None)
            if indices is None:
                return
            for position, index in enumerate(indices):
                try:
                    ok = await _one_async(records[index], processor, propagate)
                except BaseException as exc:
                    failed.extend(indices[position:])
                    if self._interrupted(records[index], exc):
                        raise
                    return
                if not ok:
                    failed.extend(indices[position:])
                    break

    async def run(self, limit: int) -> BatchResponse | None:
        count = min(limit, self.units)
        if count == 1:  # inline, in the caller's context
            await (self._group_worker() if self.fifo else self._record_worker(restore=True))
        elif count:
            worker = self._group_worker if self.fifo else self._record_worker
            loop = asyncio.get_running_loop()
            workers = self.workers
            workers.extend(loop.create_task(worker()) for _ in range(count))
            try:
                await _all_done(workers)
            except BaseException:  # this call itself was cancelled or interrupted
                await _cancel_and_wait(workers)  # so are the workers, and awaited
                raise
        self._drain()
        failed = self.failed
        if self.stop is not None and not isinstance(self.stop, asyncio.CancelledError):
            raise self.stop
        return batch_response(self.records, sorted(set(failed)) if failed else failed)


async def _all_done(tasks: list[asyncio.Task[None]]) -> None:
    """Return once every task is done: ``asyncio.wait`` without its bookkeeping.

    One done-callback per task counts them down to a single future; ``asyncio.wait``
    also builds the done and pending sets and removes its callbacks afterwards, which
    costs as much as running ten no-op records.
    """
    left = len(tasks)
    if not left:
        return
    waiter = asyncio.get_running_loop().create_future()

    def one_done(_task: object) -> None:
        nonlocal left
        left -= 1
        if not left and not waiter.done():  # done already: this call was cancelled
            waiter.set_result(None)

    for task in tasks:
        task.add_done_callback(one_done)
    await waiter


async def _cancel_and_wait(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel *tasks* still running and wait until every one is done."""
    for task in tasks:
        task.cancel()
    while not all(task.done() for task in tasks):
        with contextlib.suppress(asyncio.CancelledError):  # a pending error re-raises after
            await asyncio.wait(tasks)


async def run_async(
    event: Mapping[str, Any], processor: Callable[[Record], Awaitable[object]], limit: int
) -> BatchResponse | None:
    """Run *limit* workers over the records (FIFO: over whole groups, each in order)."""
    return await _AsyncBatch(event, processor).run(limit)
