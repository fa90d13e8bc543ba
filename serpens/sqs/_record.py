"""The records of a Lambda SQS event and the partial batch response that reports them.

:class:`Record` (one message, parsed lazily), :class:`BatchItemFailure` and
:class:`BatchResponse` (re-exported by :mod:`serpens.sqs`), and the event checks both
runners share: :func:`event_records` (every record has a ``messageId`` before any runs),
:func:`is_fifo` and :func:`batch_response`. Kept apart from the runners so the sync and
async batches read records the same way.
"""

from __future__ import annotations

import json
import operator
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from serpens.errors import ValidationError

__all__ = [
    "BatchItemFailure",
    "BatchResponse",
    "Record",
    "batch_response",
    "event_records",
    "is_fifo",
]

_UNSET: Any = object()


class BatchItemFailure(TypedDict):
    """One record Lambda must return to the queue."""

    itemIdentifier: str


class BatchResponse(TypedDict):
    """The partial batch response Lambda reads when ``ReportBatchItemFailures`` is on."""

    batchItemFailures: list[BatchItemFailure]


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
    def message_attributes(self) -> Mapping[str, Mapping[str, Any]] | None:
        """Message attributes in Lambda's raw shape; ``None`` when the record has none.

        As in serpens 2.9, the record's ``messageAttributes`` as delivered (``None`` when
        the key is absent); :attr:`message_attribute_values` is always a dict.
        """
        assigned = self._assigned
        if assigned is not None and "message_attributes" in assigned:
            return cast("Mapping[str, Mapping[str, Any]] | None", assigned["message_attributes"])
        return cast("Mapping[str, Mapping[str, Any]] | None", self.raw.get("messageAttributes"))

    @message_attributes.setter
    def message_attributes(self, value: Mapping[str, Mapping[str, Any]] | None) -> None:
        self._assign("message_attributes", value)

    @property
    def message_attribute_values(self) -> dict[str, str | bytes]:
        """Message attributes flattened to their string (or binary) values."""
        out: dict[str, str | bytes] = {}
        for name, value in (self.message_attributes or {}).items():
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


def event_records(event: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
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


def is_fifo(records: Sequence[Mapping[str, Any]]) -> bool:
    """Whether *records* come from a FIFO queue (a ``.fifo`` event source)."""
    return bool(records) and str(records[0].get("eventSourceARN", "")).endswith(".fifo")


def batch_response(records: Sequence[Mapping[str, Any]], failed: list[int]) -> BatchResponse | None:
    """The response reporting the records at the *failed* indices, or ``None`` if none."""
    if not failed:
        return None
    return {"batchItemFailures": [{"itemIdentifier": records[i]["messageId"]} for i in failed]}
