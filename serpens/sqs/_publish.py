"""The SQS publish helpers of serpens 2.9, kept for services that call them.

``publish_message(queue_url, body, message_group_id=None, attributes=None)``,
``publish_message_batch(queue_url, messages, order_key=None)`` and
``build_message_attributes(attributes)``, re-exported by :mod:`serpens.sqs`. They run on
the Amazon SQS Queue adapter (``serpens[aws]``, imported on first use) with one boto3
client per process and endpoint. Bodies that are not ``str`` are JSON-encoded with the
encoder the Lambda API uses (:func:`serpens._json.dumps`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from serpens._config import env_str
from serpens._extras import require
from serpens._json import dumps
from serpens._rules.queue import MAX_BODY_BYTES, MAX_MESSAGES, number_text
from serpens.errors import ValidationError

if TYPE_CHECKING:
    from serpens_aws import SQSQueue

__all__ = ["build_message_attributes", "publish_message", "publish_message_batch"]

_MAX_ATTRIBUTES = 10
_lock = threading.Lock()
_queues: dict[tuple[str, str | None, str | None], SQSQueue] = {}


def build_message_attributes(attributes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Return SQS ``MessageAttributes`` for a plain ``{name: value}`` mapping.

    ``str`` is sent as ``String``; ``int``, ``float`` and ``Decimal`` as ``Number`` (their
    decimal text, which SQS requires); ``bytes`` as ``Binary``. Anything else, ``bool``
    included (it is no number SQS would read back), raises
    :class:`~serpens.errors.ValidationError`, a ``ValueError`` as in serpens 2.9.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, value in (attributes or {}).items():
        if not isinstance(name, str) or not name:
            raise ValidationError(f"attribute name {name!r} must be a non-empty string")
        if isinstance(value, str):
            out[name] = {"DataType": "String", "StringValue": value}
        elif isinstance(value, bytes | bytearray):
            out[name] = {"DataType": "Binary", "BinaryValue": bytes(value)}
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            out[name] = {"DataType": "Number", "StringValue": number_text(name, value)}
        else:
            raise ValidationError(
                f"attribute {name!r}: invalid data type {type(value).__name__} "
                "(str, a number or bytes)"
            )
    if len(out) > _MAX_ATTRIBUTES:
        raise ValidationError(f"at most {_MAX_ATTRIBUTES} attributes per message, got {len(out)}")
    return out


def _queue(queue_url: str) -> SQSQueue:
    """One SQSQueue (so one boto3 client) per URL, endpoint and region of this process.

    The region is ``AWS_DEFAULT_REGION``, the one boto3's client reads (``AWS_REGION``,
    which Lambda sets too, is not: keyed by it, a changed default region kept the old
    client).
    """
    key = (
        queue_url,
        env_str("AWS_ENDPOINT_URL_SQS") or env_str("AWS_ENDPOINT_URL"),
        env_str("AWS_DEFAULT_REGION"),
    )
    with _lock:
        queue = _queues.get(key)
        if queue is None:
            require("boto3", "aws")
            from serpens_aws import SQSQueue  # noqa: PLC0415 - needs serpens[aws]

            if len(_queues) >= 64:  # noqa: PLR2004 - a bound, not a tuning knob
                _queues.clear()
            queue = _queues[key] = SQSQueue(queue_url)
        return queue


def _body(body: Any) -> str:
    text = body if isinstance(body, str) else dumps(body)
    if not text:
        raise ValidationError("a message body must not be empty")
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValidationError(f"a message body must be at most {MAX_BODY_BYTES} bytes")
    return text


def publish_message(
    queue_url: str,
    body: Any,
    message_group_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    *,
    deduplication_id: str | None = None,
) -> dict[str, Any]:
    """Send one message to *queue_url* and return SQS's answer (``["MessageId"]``).

    A non-``str`` *body* is JSON-encoded with the API's encoder. On a ``.fifo`` URL
    *message_group_id* is required and, as in serpens 2.9, doubles as the deduplication
    id: a second message of the same group within five minutes is accepted by SQS but
    not delivered. Pass *deduplication_id* (for example a per-message id) to avoid that.
    *attributes* go through :func:`build_message_attributes`.

    Raises:
        ValidationError: a FIFO URL without a group id, an empty or oversized body, or a
            bad attribute.
        SerializationError: *body* has no JSON form.
        NotFoundError: the queue does not exist.
        BackendUnavailableError: SQS is unreachable.
    """
    request: dict[str, Any] = {
        "MessageBody": _body(body),
        "MessageAttributes": build_message_attributes(attributes),
    }
    if queue_url.endswith(".fifo"):
        if not message_group_id:
            raise ValidationError("a FIFO queue needs a message_group_id")
        request["MessageGroupId"] = message_group_id
        request["MessageDeduplicationId"] = deduplication_id or message_group_id
    from serpens_aws._queue_publish import send_raw  # noqa: PLC0415 - needs serpens[aws]

    return dict(send_raw(_queue(queue_url), request))


def _chunks(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """At most ten entries and 256 KiB of bodies per ``SendMessageBatch``."""
    chunks: list[list[dict[str, Any]]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["MessageBody"].encode("utf-8"))
        if not chunks or len(chunks[-1]) == MAX_MESSAGES or size + entry_size > MAX_BODY_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size
    return chunks


def publish_message_batch(
    queue_url: str, messages: Sequence[Mapping[str, Any]], order_key: str | None = None
) -> list[dict[str, Any]]:
    """Send ``[{"body": ..., "attributes": {...}}, ...]`` ten per call; return SQS's answers.

    Each item's ``body`` is sent like :func:`publish_message`'s (``attributes`` is
    optional), except that ``None`` and ``""`` send ``"{}"``, as serpens 2.9 did (its
    ``message["body"] or {}``; other falsy bodies, ``0``, ``False``, ``[]``, are sent as
    their JSON, not as ``{}``). On a ``.fifo`` URL *order_key* is every message's group id, and each
    message gets its own deduplication id, so none is dropped as a duplicate of another.
    Every message is validated before the first is sent; entries SQS fails on its side are
    resent.

    Returns, as in serpens 2.9, one ``SendMessageBatch`` answer per call of at most ten
    entries, in input order: ``{"Successful": [{"Id", "MessageId", ...}, ...], "Failed": [],
    "ResponseMetadata": {...}}``. ``Successful`` lists every entry of that call (resent
    ones included) and ``Failed`` is always empty, since an entry that cannot be sent
    raises; ``ResponseMetadata`` is the last answer's. Each entry's ``Id`` is its index in
    *messages*, as text.

    Raises:
        ValidationError: an item without ``body``, a FIFO URL without *order_key*, or an
            entry SQS refuses.
        BackendUnavailableError: SQS is unreachable or kept failing entries.
    """
    fifo = queue_url.endswith(".fifo")
    if fifo and not order_key:
        raise ValidationError("a FIFO queue needs an order_key (the message group id)")
    entries: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or "body" not in message:
            raise ValidationError(f"message [{index}] must be a mapping with a 'body'")
        body = message["body"]
        empty = body is None or (isinstance(body, str) and not body)
        entry: dict[str, Any] = {
            "Id": str(index),
            # as in serpens 2.9, an item with no body (None or "") sends an empty object
            "MessageBody": "{}" if empty else _body(body),
            "MessageAttributes": build_message_attributes(message.get("attributes")),
        }
        if fifo:
            entry["MessageGroupId"] = order_key
            entry["MessageDeduplicationId"] = uuid.uuid4().hex
        entries.append(entry)
    if not entries:
        return []
    from serpens_aws._queue_publish import send_raw_batch  # noqa: PLC0415 - needs serpens[aws]

    queue = _queue(queue_url)
    answers: list[dict[str, Any]] = []
    for chunk in _chunks(entries):
        answer = send_raw_batch(queue, chunk)  # type: ignore[arg-type]
        successful = sorted(answer["Successful"], key=lambda ok: int(ok["Id"]))  # resends last
        answers.append(
            {
                "Successful": successful,
                "Failed": answer["Failed"],
                "ResponseMetadata": answer["ResponseMetadata"],
            }
        )
    return answers
