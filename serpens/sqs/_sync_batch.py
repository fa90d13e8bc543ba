"""The batch runner behind ``sqs.handler``: a sync processor over one event's records.

:func:`run_sync` calls the processor once per record, in order, and returns the partial
batch response; on a FIFO queue it stops at the first failure (or, with
``skip_group_on_error``, skips the rest of the failed record's group). What a failure
does (log, ``RetryLater``, propagate) is :mod:`serpens.sqs._failure`'s.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from serpens.sqs._failure import (
    dict_signal_fails,
    propagates,
    report_failure,
    report_propagated,
)
from serpens.sqs._record import BatchResponse, Record, batch_response, event_records, is_fifo

__all__ = ["run_sync"]

logger = logging.getLogger("serpens.sqs")


def _signals_failure(raw: Mapping[str, Any], result: object, propagate: bool) -> bool:
    """Whether a sync processor's return value fails its record.

    Any ``dict`` (an ``OrderedDict`` too) with a ``"messageId"`` key does on AWS, as in
    serpens 2.9 (:func:`~serpens.sqs._failure.dict_signal_fails`).
    """
    if isinstance(result, dict) and "messageId" in result:
        return dict_signal_fails(raw, propagate)
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


def run_sync(
    event: Mapping[str, Any], processor: Callable[[Record], object], skip_group_on_error: bool
) -> BatchResponse | None:
    """Run *processor* over the event's records, one after another; report the failed ones."""
    records = event_records(event)
    failed: list[int] = []
    fifo = is_fifo(records)
    failed_groups: set[str | None] = set()
    propagate = propagates()
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
                report_propagated(raw, exc)
                raise
            report_failure(raw, exc)
        else:
            if result is None or not _signals_failure(raw, result, propagate):
                continue
        failed.append(index)
        if fifo:
            failed_groups.add((raw.get("attributes") or {}).get("MessageGroupId"))
    return batch_response(records, failed)
