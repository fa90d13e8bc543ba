"""Lambda handlers for SQS events with partial batch failure.

::

    from serpens import sqs

    @sqs.handler
    def message_processor(record: sqs.Record):
        print(record.body)

The decorated function is the Lambda entry point: it calls the processor once per
record and returns ``{"batchItemFailures": [{"itemIdentifier": message_id}, ...]}``
listing the records to redeliver, or ``None`` when every record succeeded. Enable
``ReportBatchItemFailures`` on the event source mapping, or Lambda retries the whole
batch on any failure.

- A processor that raises fails only its record; the rest of the batch still runs.
- FIFO queues (``.fifo`` source): processing stops at the first failure and every
  remaining record is reported too, so order within each message group holds.
  ``skip_group_on_error=True`` reports only the rest of the failed record's group.
- ``raise RetryLater(seconds)`` reports the record and sets its visibility timeout
  (``ChangeMessageVisibility``, needs ``sqs:ChangeMessageVisibility`` and ``serpens[aws]``):
  back-off without a dead-letter round trip. The change never holds the invocation: one
  attempt, its answer within 2 s, and ending at least 0.5 s before the invocation times
  out (``context.get_remaining_time_in_millis()``); with less than 1.5 s left it is not
  tried. A change that fails or is skipped is logged; its record comes back after the
  queue's visibility timeout.
- ``async def`` processors (``async_handler``) run with bounded concurrency on one event
  loop for the life of the process; on FIFO queues each group runs in order and stops
  at its first failure while other groups continue. Nothing of a batch outlives its
  invocation: a processor raising ``CancelledError`` stops the batch (the in-flight records
  are cancelled and awaited; they and every record not started are reported), and
  ``KeyboardInterrupt``/``SystemExit`` propagate once that clean-up is done.
- As in serpens 2.9, a processor fails its record by raising
  :class:`serpens.sentry.FilteredEvent` (logged as a warning, never sent to Sentry) or by
  returning a dict (any ``dict`` subclass too) with a ``"messageId"`` key.
- A record without a ``"messageId"`` (never delivered by Lambda) stops the batch with
  :class:`~serpens.errors.ValidationError` before any record is processed.
- ``CLOUD_PROVIDER`` set to anything but ``aws`` (e.g. ``gcp``, a Pub/Sub push endpoint
  that has no partial batch response): a processor's exception propagates, as in
  serpens 2.9, so the caller sees the failure and the message is redelivered.

Publishing, as in serpens 2.9: ``publish_message(queue_url, body, message_group_id=None,
attributes=None)``, ``publish_message_batch(queue_url, messages, order_key=None)`` and
``build_message_attributes(attributes)`` (see :mod:`serpens.sqs._publish`).

No SDK is imported unless a processor raises :class:`RetryLater` or a message is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import operator
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypedDict, cast, overload

from serpens import _lambda_loop, _tracing
from serpens._config import env_str
from serpens._rules.queue import MAX_VISIBILITY_TIMEOUT
from serpens.errors import ValidationError
from serpens.sentry import FilteredEvent
from serpens.sqs._publish import (
    build_message_attributes,
    publish_message,
    publish_message_batch,
)

__all__ = [
    "BatchItemFailure",
    "BatchResponse",
    "LambdaHandler",
    "Record",
    "RetryLater",
    "async_handler",
    "build_message_attributes",
    "handler",
    "publish_message",
    "publish_message_batch",
]

logger = logging.getLogger("serpens.sqs")
logger.addFilter(_tracing.LOG_FIELDS)

_UNSET: Any = object()

_INVOCATION_ENDS: ContextVar[float | None] = ContextVar("serpens_sqs_ends", default=None)
"""When the running invocation times out (:func:`time.monotonic`), if its context says."""

_SPARE = 1.5
"""Seconds before the invocation's end that a visibility change must leave: its connect
(1 s at most) may start just before its limit, and the handler still has to return."""


class BatchItemFailure(TypedDict):
    """One record Lambda must return to the queue."""

    itemIdentifier: str


class BatchResponse(TypedDict):
    """The partial batch response Lambda reads when ``ReportBatchItemFailures`` is on."""

    batchItemFailures: list[BatchItemFailure]


LambdaHandler = Callable[[Mapping[str, Any], Any], BatchResponse | None]
"""A Lambda entry point: ``(event, context) -> batch response or None``."""


class RetryLater(Exception):  # noqa: N818 - a signal, not an error; the name reads as intent
    """Raise from a processor to redeliver this record after *delay* seconds.

    The record is reported as failed and its visibility timeout is set to *delay*
    (0 to 43200). If the visibility cannot be changed, the record is still reported and
    comes back after the queue's own visibility timeout.
    """

    def __init__(self, delay: int, reason: str = "") -> None:
        if isinstance(delay, bool) or not isinstance(delay, int):
            raise ValidationError(f"RetryLater delay must be whole seconds, got {delay!r}")
        if not 0 <= delay <= MAX_VISIBILITY_TIMEOUT:
            raise ValidationError(f"RetryLater delay must be 0 to {MAX_VISIBILITY_TIMEOUT}")
        self.delay = delay
        self.reason = reason
        super().__init__(f"retry in {delay}s" + (f": {reason}" if reason else ""))


class Record:
    """One SQS message of a Lambda event. Parsing is lazy: unused fields cost nothing.

    As in serpens 2.9: ``data`` is the raw SQS record (the dict Lambda delivered) and
    ``body`` the message body decoded as JSON, or the raw string when it is not JSON;
    ``raw_body`` is the body exactly as sent. ``message_attributes`` keeps Lambda's raw
    shape (``{"k": {"stringValue": ..., "dataType": ...}}``) and
    ``message_attribute_values`` flattens it to values.

    ``data``, ``body``, ``message_attributes``, ``queue_name`` and ``sent_datetime`` can be
    assigned, as 2.9's plain attributes could (``record.body =
    json.loads(record.body["Message"])`` unwraps an SNS envelope); a later read gives the
    assigned value. Assigning ``data`` replaces ``raw`` too, so the fields not read or
    assigned yet then come from the new record. The handler reports a failed record by
    the ``messageId`` Lambda delivered, whatever the processor assigned.
    """

    __slots__ = ("_assigned", "_body", "raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._body: Any = _UNSET
        # message_attributes, queue_name and sent_datetime once assigned: one slot for the
        # three (rarely assigned) keeps building a record as cheap as before
        self._assigned: dict[str, Any] | None = None

    def _assign(self, name: str, value: object) -> None:
        if self._assigned is None:
            self._assigned = {}
        self._assigned[name] = value

    @property
    def data(self) -> Mapping[str, Any]:
        """The raw SQS record as Lambda delivered it (the same object as ``raw``)."""
        return self.raw

    @data.setter
    def data(self, value: Mapping[str, Any]) -> None:
        self.raw = value

    @property
    def raw_body(self) -> str:
        """The message body as sent ("" when Lambda delivered none)."""
        return self.raw.get("body") or ""

    @property
    def body(self) -> Any:
        """The body decoded as JSON, or the body itself when it is not valid JSON."""
        if self._body is _UNSET:
            body = self.raw_body
            try:
                self._body = json.loads(body)
            except (ValueError, RecursionError):  # not JSON, or JSON nested too deeply
                self._body = body
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body = value

    @property
    def message_id(self) -> str:
        """SQS's message id (the ``itemIdentifier`` of a batch failure)."""
        return cast("str", self.raw["messageId"])

    @property
    def receipt_handle(self) -> str:
        """This delivery's receipt handle."""
        return cast("str", self.raw.get("receiptHandle", ""))

    @property
    def attributes(self) -> Mapping[str, str]:
        """SQS system attributes (``ApproximateReceiveCount``, ``SentTimestamp``, ...)."""
        return cast("Mapping[str, str]", self.raw.get("attributes") or {})

    @property
    def message_attributes(self) -> Mapping[str, Mapping[str, Any]]:
        """Message attributes in Lambda's raw shape."""
        assigned = self._assigned
        if assigned is not None and "message_attributes" in assigned:
            return cast("Mapping[str, Mapping[str, Any]]", assigned["message_attributes"])
        return cast("Mapping[str, Mapping[str, Any]]", self.raw.get("messageAttributes") or {})

    @message_attributes.setter
    def message_attributes(self, value: Mapping[str, Mapping[str, Any]]) -> None:
        self._assign("message_attributes", value)

    @property
    def message_attribute_values(self) -> dict[str, str | bytes]:
        """Message attributes flattened to their string (or binary) values."""
        out: dict[str, str | bytes] = {}
        for name, value in self.message_attributes.items():
            if value.get("stringValue") is not None:
                out[name] = value["stringValue"]
            elif value.get("binaryValue") is not None:
                out[name] = value["binaryValue"]
        return out

    @property
    def receive_count(self) -> int:
        """How many times this message has been delivered (1 on first delivery)."""
        return int(self.attributes.get("ApproximateReceiveCount", "1"))

    @property
    def sent_datetime(self) -> datetime | None:
        """When the message was sent, timezone-aware UTC (None if Lambda omitted it)."""
        assigned = self._assigned
        if assigned is not None and "sent_datetime" in assigned:
            return cast("datetime | None", assigned["sent_datetime"])
        sent = self.attributes.get("SentTimestamp")
        return datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None

    @sent_datetime.setter
    def sent_datetime(self, value: datetime | None) -> None:
        self._assign("sent_datetime", value)

    @property
    def message_group_id(self) -> str | None:
        """The FIFO message group, or None on a standard queue."""
        return self.attributes.get("MessageGroupId")

    @property
    def dedup_id(self) -> str | None:
        """The FIFO deduplication id, or None."""
        return self.attributes.get("MessageDeduplicationId")

    @property
    def event_source_arn(self) -> str:
        """The queue's ARN."""
        return cast("str", self.raw.get("eventSourceARN", ""))

    @property
    def queue_name(self) -> str:
        """The queue's name: the last segment of its ARN."""
        assigned = self._assigned
        if assigned is not None and "queue_name" in assigned:
            return cast("str", assigned["queue_name"])
        return self.event_source_arn.rsplit(":", 1)[-1]

    @queue_name.setter
    def queue_name(self, value: str) -> None:
        self._assign("queue_name", value)

    def __repr__(self) -> str:  # never the body: it may carry personal data
        return f"Record(message_id={self.raw.get('messageId')!r}, queue={self.queue_name!r})"


def _propagates() -> bool:
    """Whether failures propagate: ``CLOUD_PROVIDER`` (read per call) is set and not aws."""
    return (env_str("CLOUD_PROVIDER") or "aws").strip().lower() not in {"", "aws"}


def _records(event: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """The event's records, each with a ``messageId`` (checked before any record runs)."""
    try:
        records = event["Records"]
    except (KeyError, TypeError):
        raise ValidationError("not an SQS event: no 'Records' list") from None
    if not isinstance(records, list):
        raise ValidationError("not an SQS event: 'Records' is not a list")
    try:
        deque(map(_MESSAGE_ID, records), maxlen=0)  # a loop in C: about 25 ns a record
    except (KeyError, TypeError):
        index = next(
            i
            for i, raw in enumerate(records)
            if not isinstance(raw, Mapping) or "messageId" not in raw
        )
        raise _no_message_id(index) from None
    return records


_MESSAGE_ID = operator.itemgetter("messageId")


def _no_message_id(index: int) -> ValidationError:
    """A record Lambda would never deliver: it stops the batch (nothing can report it)."""
    return ValidationError(f"not an SQS event: Records[{index}] has no 'messageId'")


def _is_fifo(records: Sequence[Mapping[str, Any]]) -> bool:
    return bool(records) and str(records[0].get("eventSourceARN", "")).endswith(".fifo")


def _ends(context: Any) -> float | None:
    """When the invocation of *context* times out, or ``None`` if it does not say.

    Tests call handlers with ``None``, a dict or a mock for a context: anything but a
    number of milliseconds from ``get_remaining_time_in_millis()`` means "not said".
    """
    ask = getattr(context, "get_remaining_time_in_millis", None)
    if ask is None:
        return None
    try:
        remaining = ask()
    except Exception:  # noqa: BLE001 - a stand-in's own failure: time not said
        return None
    if isinstance(remaining, bool) or not isinstance(remaining, int | float):
        return None
    return time.monotonic() + remaining / 1000


def _retry_later(raw: Mapping[str, Any], signal: RetryLater) -> None:
    ends = _INVOCATION_ENDS.get()
    limit = None if ends is None else ends - _SPARE
    if limit is not None and limit <= time.monotonic():
        logger.warning(
            "no time left to delay SQS message %s; it returns after the queue's visibility timeout",
            raw.get("messageId"),
        )
        return
    try:
        from serpens_aws._visibility import change_visibility  # noqa: PLC0415 - boto3 on demand

        change_visibility(raw, signal.delay, limit=limit)
    except Exception:  # the record is reported anyway, so it is never lost
        logger.exception(
            "could not delay SQS message %s; it returns after the queue's visibility timeout",
            raw.get("messageId"),
        )


def _failed(raw: Mapping[str, Any], exc: BaseException) -> None:
    fields = {"message_id": raw.get("messageId")}
    if isinstance(exc, RetryLater):
        logger.info("SQS message %s: %s", raw.get("messageId"), exc, extra=fields)
        _retry_later(raw, exc)
    elif isinstance(exc, FilteredEvent):  # an expected failure: a warning, as in serpens 2.9
        logger.warning(
            "SQS message %s failed (filtered event): %s",
            raw.get("messageId"),
            exc,
            exc_info=exc,
            extra=fields,
        )
    else:
        logger.error("SQS message %s failed", raw.get("messageId"), exc_info=exc, extra=fields)


def _signals_failure(raw: Mapping[str, Any], result: object) -> bool:
    """Whether a sync processor's return value fails its record.

    Any ``dict`` (an ``OrderedDict`` too) with a ``"messageId"`` key does, as in serpens 2.9.
    """
    if isinstance(result, dict) and "messageId" in result:
        logger.info("SQS message %s failed (legacy dict signal)", raw.get("messageId"))
        return True
    if inspect.isawaitable(result):  # never count an unawaited coroutine as done
        if inspect.iscoroutine(result):
            result.close()
        logger.error(
            "SQS message %s: the processor returned an awaitable; decorate it with "
            "sqs.async_handler (the record is reported for redelivery)",
            raw.get("messageId"),
        )
        return True
    return False


def _consumer(record: Record) -> contextlib.AbstractContextManager[None]:
    """The ``CONSUMER`` span of one record, continuing the trace in its message attributes."""
    queue = record.queue_name
    attributes = {
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "process",
        "messaging.destination.name": queue,
        "messaging.message.id": record.message_id,
    }
    carrier = record.message_attribute_values
    return _tracing.consumer_span(f"{queue} process", carrier, attributes=attributes)


def _tagged(processor: Callable[[Record], object]) -> Callable[[Record], object]:
    """Run *processor* with the record's message id on serpens' log records."""

    @functools.wraps(processor)
    def run(record: Record) -> object:
        # Record.message_id without the frame: _records() checked every record has one
        token = _tracing.tag_log(message_id=record.raw["messageId"])
        try:
            return processor(record)
        finally:
            _tracing.untag_log(token)

    return run


def _traced(processor: Callable[[Record], object]) -> Callable[[Record], object]:
    """:func:`_tagged`, inside the record's consumer span (an SDK provider records)."""

    @functools.wraps(processor)
    def run(record: Record) -> object:
        token = _tracing.tag_log(message_id=record.message_id)
        try:
            with _consumer(record):
                return processor(record)
        finally:
            _tracing.untag_log(token)

    return run


def _async_traced(
    processor: Callable[[Record], Awaitable[object]],
) -> Callable[[Record], Awaitable[object]]:
    """Run *processor* inside the record's consumer span (the workers tag the log records)."""

    @functools.wraps(processor)
    async def run(record: Record) -> object:
        with _consumer(record):
            return await processor(record)

    return run


def _response(records: Sequence[Mapping[str, Any]], failed: list[int]) -> BatchResponse | None:
    if not failed:
        return None
    return {"batchItemFailures": [{"itemIdentifier": records[i]["messageId"]} for i in failed]}


def _run_sync(
    event: Mapping[str, Any], processor: Callable[[Record], object], skip_group_on_error: bool
) -> BatchResponse | None:
    records = _records(event)
    failed: list[int] = []
    fifo = _is_fifo(records)
    failed_groups: set[str | None] = set()
    propagate = _propagates()
    for index, raw in enumerate(records):
        if fifo and failed_groups:
            if not skip_group_on_error:
                failed.extend(range(index, len(records)))
                break
            if (raw.get("attributes") or {}).get("MessageGroupId") in failed_groups:
                failed.append(index)
                continue
        try:
            result = processor(Record(raw))
        except Exception as exc:
            if propagate:  # no partial batch response outside AWS: the caller must see it
                raise
            _failed(raw, exc)
        else:
            if result is None or not _signals_failure(raw, result):
                continue
        failed.append(index)
        if fifo:
            failed_groups.add((raw.get("attributes") or {}).get("MessageGroupId"))
    return _response(records, failed)


async def _report(raw: Mapping[str, Any], exc: Exception) -> None:
    """Log a failed record; a :class:`RetryLater` also sets its visibility timeout."""
    if isinstance(exc, RetryLater):
        await asyncio.to_thread(_failed, raw, exc)  # boto3 blocks: keep it off the loop
    else:
        _failed(raw, exc)


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
                raise
            await _report(raw, exc)
            return False
        if result is not None and isinstance(result, dict) and "messageId" in result:
            logger.info("SQS message %s failed (legacy dict signal)", raw.get("messageId"))
            return False
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
        self.records = _records(event)
        self.fifo = _is_fifo(self.records)
        self.pending: Iterator[int] | Iterator[list[int]]
        if self.fifo:
            groups = _by_group(self.records)
            self.units = len(groups)
            self.pending = iter(groups)
        else:
            self.units = len(self.records)
            self.pending = iter(range(self.units))
        self.processor = processor
        self.propagate = _propagates()
        self.failed: list[int] = []
        self.workers: list[asyncio.Task[None]] = []
        self.stop: BaseException | None = None  # the first error that stopped the batch

    def _halt(self, exc: BaseException) -> None:
        if self.stop is not None:
            return
        self.stop = exc
        current = asyncio.current_task()
        for task in self.workers:
            if task is not current:
                task.cancel()

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
            for index in cast("Iterator[int]", self.pending):
                if self.stop is not None:  # not started: reported with the rest
                    failed.append(index)
                    return
                raw = records[index]
                set_tags((None, raw["messageId"]))  # Record.message_id, without the frame
                record = Record(raw)
                try:
                    result = await processor(record)
                except Exception as exc:
                    if propagate:  # no partial batch response outside AWS
                        raise
                    failed.append(index)
                    await _report(raw, exc)
                    continue
                if result is not None and isinstance(result, dict) and "messageId" in result:
                    logger.info("SQS message %s failed (legacy dict signal)", raw.get("messageId"))
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
        failed = self.failed
        for unit in self.pending:  # never started
            if isinstance(unit, int):
                failed.append(unit)
            else:
                failed.extend(unit)
        if self.stop is not None and not isinstance(self.stop, asyncio.CancelledError):
            raise self.stop
        return _response(self.records, sorted(set(failed)) if failed else failed)


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


async def _run_async(
    event: Mapping[str, Any], processor: Callable[[Record], Awaitable[object]], limit: int
) -> BatchResponse | None:
    """Run *limit* workers over the records (FIFO: over whole groups, each in order)."""
    return await _AsyncBatch(event, processor).run(limit)


def async_handler(
    func: Callable[[Record], Awaitable[object]] | None = None, *, max_concurrency: int = 10
) -> Any:
    """Decorate an ``async def`` processor into a synchronous Lambda entry point.

    At most *max_concurrency* records are processed at once. Every invocation runs on
    the process-wide loop of :mod:`serpens._lambda_loop`, so clients created on it at
    cold start keep working on warm invocations. Usable bare or with arguments.
    """
    if isinstance(max_concurrency, bool) or max_concurrency < 1:
        raise ValidationError("max_concurrency must be at least 1")

    def decorate(processor: Callable[[Record], Awaitable[object]]) -> LambdaHandler:
        # the workers put each record's message id on serpens' log records themselves
        traced = _async_traced(processor) if _tracing.enabled() else processor

        @functools.wraps(processor)
        def lambda_handler(event: Mapping[str, Any], context: Any = None) -> BatchResponse | None:
            run = traced if _tracing.recording() else processor  # once per invocation
            token = _INVOCATION_ENDS.set(_ends(context))
            try:
                return _lambda_loop.run(_run_async(event, run, max_concurrency))
            finally:
                _INVOCATION_ENDS.reset(token)

        return lambda_handler

    return decorate if func is None else decorate(func)


@overload
def handler(func: Callable[[Record], object], /) -> LambdaHandler: ...
@overload
def handler(
    *, skip_group_on_error: bool = False, max_concurrency: int = 10
) -> Callable[[Callable[[Record], object]], LambdaHandler]: ...
def handler(
    func: Callable[[Record], object] | None = None,
    /,
    *,
    skip_group_on_error: bool = False,
    max_concurrency: int = 10,
) -> Any:
    """Decorate a per-record processor into a Lambda SQS entry point (see the module doc).

    Usable bare (``@sqs.handler``) or with options. An ``async def`` processor is
    handed to :func:`async_handler` with *max_concurrency*, never called without being
    awaited (which would silently acknowledge every record).
    """

    def decorate(processor: Callable[[Record], object]) -> LambdaHandler:
        if inspect.iscoroutinefunction(processor):
            return cast("LambdaHandler", async_handler(processor, max_concurrency=max_concurrency))

        tagged = _tagged(processor)
        traced = _traced(processor) if _tracing.enabled() else tagged

        @functools.wraps(processor)
        def lambda_handler(event: Mapping[str, Any], context: Any = None) -> BatchResponse | None:
            run = traced if _tracing.recording() else tagged  # once per invocation
            token = _INVOCATION_ENDS.set(_ends(context))
            try:
                return _run_sync(event, run, skip_group_on_error)
            finally:
                _INVOCATION_ENDS.reset(token)

        return lambda_handler

    return decorate if func is None else decorate(func)
