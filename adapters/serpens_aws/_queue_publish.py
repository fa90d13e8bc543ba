"""Raw SQS sends behind ``serpens.sqs.publish_message`` and ``publish_message_batch``.

They go through :class:`SQSQueue` (its client and its error mapping) but take SQS's own
``MessageAttributes`` shape, so the ``Binary`` attributes the 2.9 helpers accepted (which
the Queue port does not model) still work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from serpens import _tracing
from serpens.errors import BackendUnavailableError, ValidationError
from serpens_aws._queue import SQSQueue, _translate, send_span, with_trace_context

if TYPE_CHECKING:
    from types_boto3_sqs.type_defs import (
        SendMessageBatchRequestEntryTypeDef,
        SendMessageBatchResultTypeDef,
        SendMessageResultTypeDef,
    )

__all__ = ["send_raw", "send_raw_batch"]

_RETRIES = 3
"""Rounds of resending the entries SQS failed on its side (``SenderFault`` false)."""


def send_raw(queue: SQSQueue, request: Mapping[str, Any]) -> SendMessageResultTypeDef:
    """``SendMessage`` with *request* (``QueueUrl`` is the queue's); return SQS's answer."""
    if _tracing.enabled():
        with send_span(queue.queue_url):
            attributes = with_trace_context(dict(request.get("MessageAttributes") or {}))
            return _send(queue, {**request, "MessageAttributes": attributes})
    return _send(queue, request)


def _send(queue: SQSQueue, request: Mapping[str, Any]) -> SendMessageResultTypeDef:
    with _translate(f"SQS queue {queue.queue_url.rsplit('/', 1)[-1]!r}"):
        return queue.client.send_message(QueueUrl=queue.queue_url, **request)


def send_raw_batch(
    queue: SQSQueue, entries: Sequence[SendMessageBatchRequestEntryTypeDef]
) -> SendMessageBatchResultTypeDef:
    """``SendMessageBatch`` of at most ten *entries*; resend what SQS failed on its side.

    Entries SQS refuses (``SenderFault``) raise :class:`ValidationError`; entries still
    failing on SQS's side after a few rounds raise :class:`BackendUnavailableError`. The
    error names the entry ids and codes, never a body. Returns the merged answer: every
    entry in ``Successful``, ``Failed`` empty and the last call's ``ResponseMetadata``.
    """
    if _tracing.enabled():
        with send_span(queue.queue_url):
            traced = [
                {
                    **entry,
                    "MessageAttributes": with_trace_context(
                        dict(entry.get("MessageAttributes") or {})
                    ),
                }
                for entry in entries
            ]
            return _send_batch(queue, cast("list[SendMessageBatchRequestEntryTypeDef]", traced))
    return _send_batch(queue, entries)


def _send_batch(
    queue: SQSQueue, entries: Sequence[SendMessageBatchRequestEntryTypeDef]
) -> SendMessageBatchResultTypeDef:
    what = f"SQS queue {queue.queue_url.rsplit('/', 1)[-1]!r}"
    pending = list(entries)
    successful: list[Any] = []
    for _ in range(_RETRIES):
        with _translate(what):
            answer = queue.client.send_message_batch(QueueUrl=queue.queue_url, Entries=pending)
        successful.extend(answer.get("Successful", []))
        failed = answer.get("Failed", [])
        refused = [f for f in failed if f.get("SenderFault")]
        if refused:
            codes = ", ".join(f"{f['Id']}: {f.get('Code', '?')}" for f in refused)
            raise ValidationError(f"{what} refused batch entries ({codes})")
        if not failed:
            return {
                "Successful": successful,
                "Failed": [],
                "ResponseMetadata": answer["ResponseMetadata"],
            }
        retry = {f["Id"] for f in failed}
        pending = [entry for entry in pending if entry["Id"] in retry]
    codes = ", ".join(f"{entry['Id']}" for entry in pending)
    raise BackendUnavailableError(f"{what} kept failing batch entries ({codes})")
