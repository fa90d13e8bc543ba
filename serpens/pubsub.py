"""Google Pub/Sub publishing: :class:`AsyncPublisher` and the sync ``publish_message`` helpers.

``google-cloud-pubsub`` (the ``gcp`` extra) is imported when the first client is
created, never at import time; without it that first call raises
:class:`~serpens.errors.MissingExtraError` naming ``serpens[gcp]``.

Every publish validates the full topic id, payload and attributes before any network
call (see :func:`serpens._rules.publisher.prepare`), encodes a mapping payload as compact
JSON, and maps SDK failures to serpens errors: an unreachable broker becomes
:class:`~serpens.errors.BackendUnavailableError`, a deadline
:class:`~serpens.errors.BackendTimeoutError`, a missing topic
:class:`~serpens.errors.NotFoundError`. When ``elasticapm`` is installed and a
transaction is active, each publish is recorded as a ``messaging`` span labelled with
the topic.

serpens 2.9's call shapes keep working: ``publish_message(topic, data, ordering_key="",
attributes=None)`` (``""`` means no key; a value that is not bytes, str or a mapping is
sent as JSON), ``publish_message_batch(topic, [{"body": ..., "attributes": {...}}],
ordering_key="")``, a ``topic:endpoint`` suffix published as the attribute
``endpoint=<suffix>``, ``AsyncPublisher(ordering_key=...)`` as the default key, and a
missing topic raising ``serpens_pubsub.TopicNotFoundError``, which both
``except NotFoundError`` and ``except google.api_core.exceptions.NotFound`` catch.

This module is the facade of the specification; the SDK client pair and its error
map live in the ``serpens_pubsub`` adapter, imported on the first publish.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from serpens._apm import publish_span
from serpens._config import env_str
from serpens._json import dumps_compact
from serpens._rules.publisher import (
    DEFAULT_PUBLISH_TIMEOUT,
    AttributeValue,
    OutgoingMessage,
    prepare,
    publish_timeout,
)
from serpens.errors import FieldError, NotInitializedError, SerpensError, ValidationError
from serpens.ports import Payload

if TYPE_CHECKING:
    from serpens_pubsub._publisher import PublisherClients

__all__ = [
    "AsyncPublisher",
    "AttributeValue",
    "publish_message",
    "publish_message_batch",
]


_TOPICS = "/topics/"
_UNSET: Any = object()  # publish() got no payload (or no data=) argument


def _split_endpoint(topic: str) -> tuple[str, str | None]:
    """Split serpens 2.9's ``projects/p/topics/t:endpoint`` into the topic and the endpoint.

    Topic names cannot contain ``:``, so only a ``:`` after ``/topics/`` starts the
    suffix; a domain-scoped project (``projects/example.com:p/topics/t``) is kept whole.
    Returns ``(topic, None)`` when there is no suffix.
    """
    head, sep, name = topic.rpartition(_TOPICS) if isinstance(topic, str) else ("", "", "")
    if not sep or ":" not in name:
        return topic, None
    name, _, endpoint = name.partition(":")
    return f"{head}{sep}{name}", endpoint


def _message(
    topic: str,
    data: Any,
    attributes: Mapping[str, AttributeValue] | None,
    ordering_key: str | None,
) -> OutgoingMessage:
    """Validate one message the 2.9 way: endpoint suffix, JSON for other values, ``""`` key."""
    topic, endpoint = _split_endpoint(topic)
    if endpoint is not None and (attributes is None or isinstance(attributes, Mapping)):
        attributes = {**(attributes or {}), "endpoint": endpoint}  # else prepare() refuses them
    # JSON as serpens 2.9 sent it (its API encoder: Decimals as numbers, Enums as their
    # values, times as ISO 8601), without the spaces
    payload: Payload = data if isinstance(data, bytes | str) else dumps_compact(data).encode()
    return prepare(topic, payload, attributes, ordering_key or None)


def _new_clients(timeout: float) -> PublisherClients:
    """The SDK client pair of ``serpens_pubsub``, imported now: the SDK is needed from here on."""
    from serpens_pubsub._publisher import PublisherClients  # noqa: PLC0415 - lazy SDK import

    return PublisherClients(timeout)


class AsyncPublisher:
    """Publish to Pub/Sub from async code without blocking the event loop.

    Create one per process (for example in a FastAPI ``lifespan``) and close it on
    shutdown. The SDK's ``PublisherClient`` is created on the first publish, in a worker
    thread, and reused: its gRPC channel, batching and retries are shared by every
    publish. ``PUBSUB_EMULATOR_HOST`` is honoured at that moment.

    Args:
        ordering_key: the key of every publish that does not pass its own (as in serpens
            2.9, positional or keyword); default none. A publish passing
            ``ordering_key=""`` sends no key.
        timeout: seconds one publish may take, retries included; default
            ``PUBSUB_PUBLISH_TIMEOUT`` or 60.
    """

    def __init__(self, ordering_key: str | None = None, *, timeout: float | None = None) -> None:
        if ordering_key:  # validated now, not at the first publish
            prepare("projects/p/topics/default-key", b"", {"k": "v"}, ordering_key)
        self._ordering_key = ordering_key or None
        self._timeout = publish_timeout(timeout)
        self._lock = threading.Lock()
        self._clients: PublisherClients | None = None
        self._closed = False

    @property
    def timeout(self) -> float:
        """Seconds one publish may take, retries included."""
        return self._timeout

    @property
    def ordering_key(self) -> str | None:
        """The key of publishes that do not pass their own; ``None``: no key."""
        return self._ordering_key

    def _sdk_clients(self) -> PublisherClients:
        with self._lock:
            if self._clients is None:
                if self._closed:
                    raise NotInitializedError("the publisher is closed; create a new one")
                self._clients = _new_clients(self._timeout)
            return self._clients

    async def publish(
        self,
        topic: str,
        payload: Any = _UNSET,
        ordering_key: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
        *,
        data: Any = _UNSET,
    ) -> str:
        """Publish *payload* to *topic* (``projects/p/topics/t``) and return the message id.

        serpens 2.9's signature keeps working: ``publish(topic, data, ordering_key,
        attributes)``, positional or keyword (``data=`` is another name for *payload*).
        bytes and str are sent as they are; any other value as compact JSON, encoded as
        the API encodes it (Decimals as numbers, Enums as their values, dates and times as
        ISO 8601). *ordering_key* ``None`` uses the publisher's default key, ``""`` sends
        none. A ``topic:endpoint`` suffix is sent as the attribute ``endpoint``.

        Raises:
            ValidationError: malformed topic, attributes, ordering key or empty message,
                before any network call.
            SerializationError: the payload cannot be encoded.
            NotFoundError: the topic does not exist (a ``serpens_pubsub.TopicNotFoundError``,
                also ``google.api_core.exceptions.NotFound``).
            BackendUnavailableError: the broker could not be reached within the timeout.
            BackendTimeoutError: the broker did not answer within the timeout.
            NotInitializedError: the publisher is closed.
            ConfigurationError: no Google credentials are found.
        """
        if (payload is _UNSET) == (data is _UNSET):
            raise TypeError("publish() takes the message as payload or data, exactly once")
        key = self._ordering_key if ordering_key is None else ordering_key
        message = _message(topic, data if payload is _UNSET else payload, attributes, key)
        return await self._sdk_clients().publish(message)

    def close(self) -> None:
        """Send what is queued, wait for it (up to the timeout) and release the channel.

        Later publishes raise :class:`~serpens.errors.NotInitializedError`. Blocks while
        flushing: from async code prefer ``await aclose()``.
        """
        with self._lock:
            self._closed = True
            clients = self._clients
        if clients is not None:
            clients.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`, flushing in a worker thread."""
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


_BATCH_SLACK = 5.0  # seconds beyond the RPC timeout for SDK batching and thread hand-offs
_DEFAULT_LOCK = threading.Lock()
_DEFAULT: dict[str | None, PublisherClients] = {}


def _default_clients() -> PublisherClients:
    """The process-wide clients of the sync helpers, one per ``PUBSUB_EMULATOR_HOST`` value."""
    host = env_str("PUBSUB_EMULATOR_HOST")
    with _DEFAULT_LOCK:
        clients = _DEFAULT.get(host)
        if clients is None:
            clients = _DEFAULT[host] = _new_clients(DEFAULT_PUBLISH_TIMEOUT)
        return clients


def _wait(future: concurrent.futures.Future[str], topic: str, timeout: float) -> str:
    from serpens_pubsub._errors import translate_errors  # noqa: PLC0415 - lazy SDK import

    with translate_errors(topic):
        # The SDK bounds the RPC and its retries by *timeout*; batching adds a little.
        return future.result(timeout=timeout)


def publish_message(
    topic: str,
    data: Any,
    ordering_key: str | None = "",
    attributes: Mapping[str, AttributeValue] | None = None,
    *,
    timeout: float | None = None,
) -> str:
    """Publish one message and wait for its id; the sync twin of :meth:`AsyncPublisher.publish`.

    serpens 2.9's signature: *data* that is not bytes, str or a mapping is sent as JSON;
    *ordering_key* ``""`` (or ``None``) sends no key; a ``topic:endpoint`` suffix is sent
    as the attribute ``endpoint``. Uses a process-wide client (one per
    ``PUBSUB_EMULATOR_HOST`` value) instead of building one per call. Raises the errors
    :meth:`AsyncPublisher.publish` documents.
    """
    message = _message(topic, data, attributes, ordering_key)
    seconds = publish_timeout(timeout)
    clients = _default_clients()
    with publish_span(message.topic):
        return _wait(clients.submit(message, seconds), message.topic, seconds + _BATCH_SLACK)


def _batch_item(
    index: int,
    item: object,
    topic: str,
    attributes: Mapping[str, AttributeValue] | None,
    ordering_key: str | None,
) -> OutgoingMessage:
    """One message of a batch: ``{"body": ..., "attributes": {...}}``, or a bytes/str body."""
    if isinstance(item, bytes | str):
        return _message(topic, item, attributes, ordering_key)
    if not isinstance(item, Mapping) or "body" not in item:
        raise ValidationError(
            "invalid batch",
            [
                FieldError(
                    f"messages[{index}]",
                    "expected {'body': ..., 'attributes': {...}} (or a str/bytes body), "
                    f"got {type(item).__name__}"
                    + (f" with keys {sorted(map(str, item))}" if isinstance(item, Mapping) else ""),
                )
            ],
        )
    own = item.get("attributes")
    if own is not None and not isinstance(own, Mapping):
        raise ValidationError(
            "invalid batch",
            [FieldError(f"messages[{index}].attributes", "expected a mapping")],
        )
    merged = {**(attributes or {}), **(own or {})}
    return _message(topic, item["body"], merged, ordering_key)


def publish_message_batch(
    topic: str,
    messages: Iterable[Mapping[str, Any] | bytes | str],
    ordering_key: str | None = "",
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    timeout: float | None = None,
) -> list[str]:
    """Publish ``[{"body": ..., "attributes": {...}}, ...]`` and return the ids in input order.

    serpens 2.9's shape: each item's ``body`` is published (JSON unless bytes or str) with
    that item's ``attributes`` (optional; they override *attributes*, which apply to
    every item). Other keys of an item are ignored, as in 2.9. A bare str or bytes item
    is a body without attributes of its own. A mapping without ``body`` is a
    :class:`~serpens.errors.ValidationError`: publishing it as the body would send the
    wrapper and drop its attributes. *ordering_key* and a ``topic:endpoint`` suffix apply
    to every message, as in :func:`publish_message`.

    Every message is validated before the first is sent, so bad input publishes
    nothing. Messages are sent in SDK batches; if some publishes fail, the first failure
    is raised after all have settled, with a note listing the ids that were published.
    """
    outgoing = [
        _batch_item(index, item, topic, attributes, ordering_key)
        for index, item in enumerate(messages)
    ]
    if not outgoing:
        return []
    target = outgoing[0].topic
    seconds = publish_timeout(timeout)
    clients = _default_clients()
    with publish_span(target):
        futures = [clients.submit(message, seconds) for message in outgoing]
        concurrent.futures.wait(futures, timeout=seconds + _BATCH_SLACK)
        ids: list[str] = []
        failure: Exception | None = None
        for future in futures:
            try:
                ids.append(_wait(future, target, 0.0))
            except SerpensError as exc:
                failure = failure or exc
        if failure is not None:
            failure.add_note(f"{len(ids)} of {len(futures)} messages were published: {ids}")
            raise failure
        return ids
