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
  that has no partial batch response; :func:`get_cloud_provider` reads it): a
  processor's exception is logged (``SQS message <id> failed on gcp: <error>``, a
  warning for ``FilteredEvent``) and propagates, as in serpens 2.9, so the caller sees
  the failure and the message is redelivered.

Publishing, as in serpens 2.9: ``publish_message(queue_url, body, message_group_id=None,
attributes=None)``, ``publish_message_batch(queue_url, messages, order_key=None)`` and
``build_message_attributes(attributes)`` (see :mod:`serpens.sqs._publish`);
``MAX_BATCH_SIZE`` is the ten messages a batch call sends.

No SDK is imported unless a processor raises :class:`RetryLater` or a message is published.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast, overload

from serpens import _lambda_loop, _tracing
from serpens._rules.queue import MAX_MESSAGES as _MAX_MESSAGES
from serpens.errors import ValidationError
from serpens.sqs._async_batch import run_async as _run_async
from serpens.sqs._failure import INVOCATION_ENDS as _INVOCATION_ENDS
from serpens.sqs._failure import RetryLater, get_cloud_provider
from serpens.sqs._failure import invocation_ends as _ends
from serpens.sqs._publish import (
    build_message_attributes,
    publish_message,
    publish_message_batch,
)
from serpens.sqs._record import BatchItemFailure, BatchResponse, Record
from serpens.sqs._sync_batch import run_sync as _run_sync

__all__ = [
    "MAX_BATCH_SIZE",
    "BatchItemFailure",
    "BatchResponse",
    "LambdaHandler",
    "Record",
    "RetryLater",
    "async_handler",
    "build_message_attributes",
    "get_cloud_provider",
    "handler",
    "publish_message",
    "publish_message_batch",
]

logger = logging.getLogger("serpens.sqs")
logger.addFilter(_tracing.LOG_FIELDS)

MAX_BATCH_SIZE = _MAX_MESSAGES
"""Messages per ``SendMessageBatch`` call (10), serpens 2.9's name."""

LambdaHandler = Callable[[Mapping[str, Any], Any], BatchResponse | None]
"""A Lambda entry point: ``(event, context) -> batch response or None``."""


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
        # Record.message_id without the frame: event_records() checked every record has one
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
