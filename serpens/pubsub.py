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

This module is the facade of the specification; the SDK client pair and its error
map live in the ``serpens_pubsub`` adapter, imported on the first publish.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self

from serpens._apm import publish_span
from serpens._config import env_str
from serpens._rules.publisher import (
    DEFAULT_PUBLISH_TIMEOUT,
    AttributeValue,
    prepare,
    publish_timeout,
)
from serpens.errors import NotInitializedError, SerpensError
from serpens.ports import Payload

if TYPE_CHECKING:
    from serpens_pubsub._publisher import PublisherClients

__all__ = [
    "AsyncPublisher",
    "AttributeValue",
    "publish_message",
    "publish_message_batch",
]


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
        timeout: seconds one publish may take, retries included; default
            ``PUBSUB_PUBLISH_TIMEOUT`` or 60.
    """

    def __init__(self, *, timeout: float | None = None) -> None:
        self._timeout = publish_timeout(timeout)
        self._lock = threading.Lock()
        self._clients: PublisherClients | None = None
        self._closed = False

    @property
    def timeout(self) -> float:
        """Seconds one publish may take, retries included."""
        return self._timeout

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
        payload: Payload,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Publish *payload* to *topic* (``projects/P/topics/T``) and return the message id.

        Raises:
            ValidationError: malformed topic, attributes, ordering key or empty message,
                before any network call.
            SerializationError: the payload cannot be encoded.
            NotFoundError: the topic does not exist.
            BackendUnavailableError: the broker could not be reached within the timeout.
            BackendTimeoutError: the broker did not answer within the timeout.
            NotInitializedError: the publisher is closed.
            ConfigurationError: no Google credentials are found.
        """
        message = prepare(topic, payload, attributes, ordering_key)
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
    payload: Payload,
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    ordering_key: str | None = None,
    timeout: float | None = None,
) -> str:
    """Publish one message and wait for its id; the sync twin of :meth:`AsyncPublisher.publish`.

    Uses a process-wide client (one per ``PUBSUB_EMULATOR_HOST`` value) instead of
    building one per call. Raises the errors :meth:`AsyncPublisher.publish` documents.
    """
    message = prepare(topic, payload, attributes, ordering_key)
    seconds = publish_timeout(timeout)
    clients = _default_clients()
    with publish_span(topic):
        return _wait(clients.submit(message, seconds), topic, seconds + _BATCH_SLACK)


def publish_message_batch(
    topic: str,
    payloads: Iterable[Payload],
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    ordering_key: str | None = None,
    timeout: float | None = None,
) -> list[str]:
    """Publish many messages (sent in SDK batches) and return their ids in input order.

    Every message is validated before the first is sent, so bad input publishes
    nothing. If some publishes fail, the first failure is raised after all have
    settled, with a note listing the ids that were published.
    """
    messages = [prepare(topic, payload, attributes, ordering_key) for payload in payloads]
    seconds = publish_timeout(timeout)
    clients = _default_clients()
    with publish_span(topic):
        futures = [clients.submit(message, seconds) for message in messages]
        concurrent.futures.wait(futures, timeout=seconds + _BATCH_SLACK)
        ids: list[str] = []
        failure: Exception | None = None
        for future in futures:
            try:
                ids.append(_wait(future, topic, 0.0))
            except SerpensError as exc:
                failure = failure or exc
        if failure is not None:
            failure.add_note(f"{len(ids)} of {len(futures)} messages were published: {ids}")
            raise failure
        return ids
