"""Amazon SQS adapters of the Queue and AsyncQueue ports (boto3 low-level client)."""

from __future__ import annotations

import asyncio
import base64
import math
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from serpens import _tracing
from serpens._rules.queue import (
    AttributeValue,
    check_receive,
    check_send,
    check_visibility,
    string_attributes,
)
from serpens.errors import NotFoundError, SerpensError, ValidationError
from serpens.ports import Message
from serpens_aws._deadline import bound
from serpens_aws._errors import translate_errors

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageAttributeValueTypeDef, MessageTypeDef

__all__ = ["AsyncSQSQueue", "SQSQueue", "send_span", "sqs_message_attributes", "with_trace_context"]

_MAX_ATTRIBUTES = 10  # SQS refuses a message with more message attributes

_CODES: Mapping[str, type[SerpensError]] = {
    "AWS.SimpleQueueService.NonExistentQueue": NotFoundError,
    "QueueDoesNotExist": NotFoundError,
    "ReceiptHandleIsInvalid": NotFoundError,
    "MessageNotInflight": NotFoundError,
    "InvalidParameterValue": ValidationError,
    "InvalidParameterValueException": ValidationError,
    "MissingParameter": ValidationError,
    "InvalidParameterCombination": ValidationError,
    "InvalidAttributeValue": ValidationError,
    "InvalidMessageContents": ValidationError,
    "UnsupportedOperation": ValidationError,
}
_SYSTEM_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"]


@contextmanager
def _translate(what: str) -> Iterator[None]:
    """Map botocore failures to serpens errors; missing region or credentials are config."""
    with translate_errors(what, _CODES):
        yield


def _receipt_refused(exc: ClientError) -> bool:
    """SQS answers a change of visibility on a deleted message with InvalidParameterValue.

    Its message names the ``ReceiptHandle`` ("Message does not exist or is not available
    for visibility timeout change"); the port promises NotFoundError there, while other
    invalid parameters stay ValidationError.
    """
    error = exc.response.get("Error", {})
    return error.get("Code") == "InvalidParameterValue" and "ReceiptHandle" in error.get(
        "Message", ""
    )


def sqs_message_attributes(
    attributes: Mapping[str, AttributeValue] | None,
) -> dict[str, MessageAttributeValueTypeDef]:
    """Return SQS ``MessageAttributes`` for *attributes*.

    Strings are sent as ``String``; ``int``, ``float`` and ``Decimal`` as ``Number`` with
    their decimal text as ``StringValue`` (boto3 rejects a number there), the text the
    shared rules give every queue (``serpens._rules.queue.number_text``: no exponent, NaN
    and infinity refused); ``bool`` is a :class:`~serpens.errors.ValidationError` rather
    than a surprising number.
    """
    texts = string_attributes(attributes)  # names, types, values, count
    return {
        name: {
            "DataType": "String" if isinstance(value, str) else "Number",
            "StringValue": texts[name],
        }
        for name, value in (attributes or {}).items()
    }


def send_span(queue_url: str) -> AbstractContextManager[Any]:
    """Return the OpenTelemetry ``PRODUCER`` span of a send to *queue_url*."""
    name = queue_url.rsplit("/", 1)[-1]
    attributes = {
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "send",
        "messaging.destination.name": name,
    }
    return _tracing.span(f"{name} send", _tracing.PRODUCER, attributes)


def with_trace_context(attributes: dict[str, Any]) -> dict[str, Any]:
    """Add the current trace context to SQS *attributes* while SQS's limit of 10 allows."""
    carrier = _tracing.inject({})
    if carrier and len(attributes) + len(carrier) <= _MAX_ATTRIBUTES:
        for key, value in carrier.items():
            attributes.setdefault(key, {"DataType": "String", "StringValue": value})
    return attributes


def _received_attributes(raw: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        if "StringValue" in value:
            out[name] = value["StringValue"]
        elif "BinaryValue" in value:  # foreign senders: kept, base64 so it stays a string
            out[name] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return out


def _to_message(raw: MessageTypeDef) -> Message:
    system = raw.get("Attributes", {})
    sent = system.get("SentTimestamp")
    return Message(
        id=raw["MessageId"],
        body=raw.get("Body", ""),
        receipt=raw["ReceiptHandle"],
        receive_count=int(system.get("ApproximateReceiveCount", "1")),
        attributes=_received_attributes(raw.get("MessageAttributes", {})),
        group_id=system.get("MessageGroupId"),
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
    )


_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=25)
"""Deadlines of a client the queue builds: a long poll waits up to 20 s for messages."""


class SQSQueue:
    """:class:`serpens.ports.Queue` over one Amazon SQS queue.

    Takes the queue URL and a ready ``boto3`` SQS client, or builds one on first use
    from the usual AWS environment (``AWS_ENDPOINT_URL`` points it at a local endpoint).
    Construction does no I/O. A URL ending in ``.fifo`` is a FIFO queue: a send without
    ``dedup_id`` gets a fresh random deduplication id, so distinct sends are never
    dropped, unless ``content_based_dedup=True`` says the queue deduplicates by body.
    Attribute values may also be numbers, sent with the ``Number`` data type.

    A client the queue builds itself waits at most 2 s to connect and 25 s to read per
    attempt (the longest long poll, 20 s, plus 5 s), not botocore's 60 s; botocore's
    retries apply on top (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``). Pass a configured
    client for other deadlines. Each attempt's whole answer must arrive within the
    client's read timeout (a client passed in too), so an endpoint trickling its answer
    cannot hold a call past it.
    """

    def __init__(
        self,
        queue_url: str,
        client: SQSClient | None = None,
        *,
        endpoint_url: str | None = None,
        content_based_dedup: bool = False,
    ) -> None:
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo")
        self._content_based_dedup = content_based_dedup
        if client is not None:
            bound(client)
        self._client = client
        self._endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._what = f"SQS queue {queue_url.rsplit('/', 1)[-1]!r}"

    @classmethod
    def from_name(cls, name: str, client: SQSClient | None = None) -> SQSQueue:
        """Look up queue *name* (one ``GetQueueUrl`` call); a missing queue is NotFoundError."""
        with _translate(f"SQS queue {name!r}"):
            client = client or boto3.client("sqs", config=_CLIENT_CONFIG)
            bound(client)  # before its first call
            url = client.get_queue_url(QueueName=name)["QueueUrl"]
        return cls(url, client)

    @property
    def client(self) -> SQSClient:
        """The boto3 client, created on first use (boto3 clients are thread-safe)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    with _translate(self._what):
                        client = boto3.client(
                            "sqs", endpoint_url=self._endpoint_url, config=_CLIENT_CONFIG
                        )
                    bound(client)
                    self._client = client
        return self._client

    def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Queue.send`."""
        check_send(
            body,
            attributes,
            fifo=self.fifo,
            delay_seconds=delay_seconds,
            group_id=group_id,
            dedup_id=dedup_id,
        )
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MessageBody": body,
            "MessageAttributes": sqs_message_attributes(attributes),
        }
        if self.fifo:
            request["MessageGroupId"] = group_id
            if dedup_id is None and not self._content_based_dedup:
                dedup_id = uuid.uuid4().hex
            if dedup_id is not None:
                request["MessageDeduplicationId"] = dedup_id
        else:
            request["DelaySeconds"] = delay_seconds
        if _tracing.enabled():
            return self._traced_send(request)
        with _translate(self._what):
            return self.client.send_message(**request)["MessageId"]

    def _traced_send(self, request: dict[str, Any]) -> str:
        """Send inside a ``PRODUCER`` span, its context in the message attributes."""
        with send_span(self.queue_url) as current:
            request["MessageAttributes"] = with_trace_context(request["MessageAttributes"])
            with _translate(self._what):
                message_id = self.client.send_message(**request)["MessageId"]
            if current is not None:  # None without an SDK provider
                current.set_attribute("messaging.message.id", message_id)
            return message_id

    def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.Queue.receive`; ``wait_seconds`` rounds up to whole seconds."""
        check_receive(max_messages, wait_seconds, visibility_timeout)
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": math.ceil(wait_seconds),
            "MessageAttributeNames": ["All"],
            "MessageSystemAttributeNames": _SYSTEM_ATTRIBUTES,
        }
        if visibility_timeout is not None:
            request["VisibilityTimeout"] = visibility_timeout
        with _translate(self._what):
            answer = self.client.receive_message(**request)
        return [_to_message(raw) for raw in answer.get("Messages", [])]

    def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.Queue.ack`."""
        with _translate(self._what):
            self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt)

    def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.Queue.change_visibility`."""
        check_visibility(timeout)
        with _translate(self._what):
            try:
                self.client.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message.receipt,
                    VisibilityTimeout=timeout,
                )
            except ClientError as exc:
                if _receipt_refused(exc):
                    raise NotFoundError(
                        f"message {message.id!r} is not in flight in {self._what}"
                    ) from exc
                raise


class AsyncSQSQueue:
    """:class:`serpens.ports.AsyncQueue` over one Amazon SQS queue.

    boto3 is blocking, so each call runs in the default thread pool through
    :func:`asyncio.to_thread` on one shared (thread-safe) boto3 client: the event loop
    never blocks, and no second SDK is needed. Long polls (``wait_seconds``) hold one
    pool thread each; keep concurrent long polls below the pool size. Arguments are
    validated before any request is sent, by the sync queue on its pool thread.
    """

    def __init__(
        self,
        queue_url: str,
        client: SQSClient | None = None,
        *,
        endpoint_url: str | None = None,
        content_based_dedup: bool = False,
    ) -> None:
        self._sync = SQSQueue(
            queue_url, client, endpoint_url=endpoint_url, content_based_dedup=content_based_dedup
        )
        self.queue_url = queue_url
        self.fifo = self._sync.fifo

    @property
    def client(self) -> SQSClient:
        """The boto3 client shared by every call."""
        return self._sync.client

    async def send(
        self,
        body: str,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        delay_seconds: int = 0,
        group_id: str | None = None,
        dedup_id: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Queue.send` (the sync queue validates the send)."""
        return await asyncio.to_thread(
            self._sync.send,
            body,
            attributes=attributes,
            delay_seconds=delay_seconds,
            group_id=group_id,
            dedup_id=dedup_id,
        )

    async def receive(
        self,
        *,
        max_messages: int = 1,
        wait_seconds: float = 0,
        visibility_timeout: int | None = None,
    ) -> Sequence[Message]:
        """See :meth:`serpens.ports.Queue.receive` (the sync queue validates it)."""
        return await asyncio.to_thread(
            self._sync.receive,
            max_messages=max_messages,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
        )

    async def ack(self, message: Message) -> None:
        """See :meth:`serpens.ports.Queue.ack`."""
        await asyncio.to_thread(self._sync.ack, message)

    async def change_visibility(self, message: Message, timeout: int) -> None:
        """See :meth:`serpens.ports.Queue.change_visibility`."""
        check_visibility(timeout)
        await asyncio.to_thread(self._sync.change_visibility, message, timeout)
