"""The Google publisher client pair and the :class:`~serpens.ports.Publisher` port over it.

:class:`PublisherClients` wraps google-cloud-pubsub's ``PublisherClient``: it is what
``serpens.pubsub`` (``AsyncPublisher``, ``publish_message``) and :class:`PubSubPublisher`
publish through.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Protocol, Self

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exceptions
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.publisher.exceptions import MessageTooLargeError

from serpens import _tracing
from serpens._apm import async_publish_span
from serpens._rules.publisher import (
    MAX_ATTRIBUTES,
    MAX_REQUEST_BYTES,
    AttributeValue,
    OutgoingMessage,
    prepare,
    publish_timeout,
    request_size,
)
from serpens.errors import ConfigurationError, FieldError, NotInitializedError, ValidationError
from serpens.ports import Payload
from serpens_pubsub._errors import translate_errors

__all__ = ["PubSubPublisher", "PublisherClients", "SharedPublisher"]

# The SDK's Client.publish takes attributes as **kwargs next to these parameters.
_RETRYABLE = (
    "Aborted",
    "Cancelled",
    "DeadlineExceeded",
    "InternalServerError",
    "ResourceExhausted",
    "ServiceUnavailable",
    "Unknown",
)


class PublisherClients:
    """One SDK client pair sharing one gRPC channel.

    Messages without an ordering key go through a plain client that retries transient
    errors until the publish timeout. Ordered messages go through a second client with
    message ordering enabled, created on first use over the same transport: the SDK
    retries ordered publishes forever, which would hang the caller when the broker is
    down, so they are attempted once per call and the key is resumed after a failure.

    Args:
        timeout: seconds one publish may take, retries included.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._plain: pubsub_v1.PublisherClient | None = None
        self._ordered: pubsub_v1.PublisherClient | None = None
        self._retry: Any = None
        self._pending: set[concurrent.futures.Future[str]] = set()
        self._closed = False

    def _client(self, *, ordered: bool) -> pubsub_v1.PublisherClient:
        with self._lock:
            if self._closed:
                raise NotInitializedError("the publisher is closed; create a new one")
            if self._plain is None:
                self._plain = _new_client()
                self._retry = _retry(self.timeout)
            if ordered and self._ordered is None:
                options = pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
                self._ordered = pubsub_v1.PublisherClient(
                    publisher_options=options, transport=self._plain.transport
                )
            return self._ordered if ordered and self._ordered is not None else self._plain

    @property
    def ready(self) -> bool:
        """Whether the plain client exists (creating it may look up credentials)."""
        return self._plain is not None

    def warm(self) -> None:
        """Create the plain client now."""
        self._client(ordered=False)

    def submit(
        self, message: OutgoingMessage, timeout: float | None = None
    ) -> concurrent.futures.Future[str]:
        """Hand *message* to the SDK and return its future (the SDK batches and sends).

        *timeout* (default: the clients' own) bounds the publish, retries included.
        """
        ordered = bool(message.ordering_key)
        client = self._client(ordered=ordered)
        if not _tracing.enabled():
            return self._submit(client, message, message.attributes, ordered, timeout)
        with _tracing.span(
            f"{message.topic.rsplit('/', 1)[-1]} publish",
            _tracing.PRODUCER,
            {
                "messaging.system": "gcp_pubsub",
                "messaging.operation.type": "send",
                "messaging.destination.name": message.topic,
            },
        ):
            attributes = _traced(message)
            return self._submit(client, message, attributes, ordered, timeout)

    def _submit(
        self,
        client: pubsub_v1.PublisherClient,
        message: OutgoingMessage,
        attributes: Mapping[str, str],
        ordered: bool,
        timeout: float | None,
    ) -> concurrent.futures.Future[str]:
        timeout = self.timeout if timeout is None else timeout
        retry = self._retry if timeout == self.timeout else self._retry.with_timeout(timeout)
        try:
            if ordered:
                future = client.publish(
                    message.topic,
                    message.data,
                    ordering_key=message.ordering_key,
                    retry=None,
                    timeout=timeout,
                    **attributes,
                )
                future.add_done_callback(lambda f: self._resume_on_failure(client, message, f))
            else:
                future = client.publish(
                    message.topic,
                    message.data,
                    retry=retry,
                    timeout=timeout,
                    **attributes,
                )
        except MessageTooLargeError as exc:  # prepare() checked the size: a safety net
            raise ValidationError("message too large", [FieldError("payload", str(exc))]) from exc
        except RuntimeError as exc:  # the SDK's "Cannot publish on a stopped publisher."
            raise NotInitializedError("the publisher is closed; create a new one") from exc
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future  # type: ignore[no-any-return]  # the SDK future is untyped

    async def publish(self, message: OutgoingMessage) -> str:
        """Publish *message* without blocking the event loop and return its id.

        The first call creates the plain client in a worker thread; the publish is an
        APM ``messaging`` span, and SDK failures are raised as serpens errors.
        """
        if not self.ready:
            await asyncio.to_thread(self.warm)
        async with async_publish_span(message.topic):
            future = self.submit(message)
            with translate_errors(message.topic):
                return await asyncio.wrap_future(future)

    def _forget(self, future: concurrent.futures.Future[str]) -> None:
        with self._lock:
            self._pending.discard(future)

    @staticmethod
    def _resume_on_failure(
        client: pubsub_v1.PublisherClient,
        message: OutgoingMessage,
        future: concurrent.futures.Future[str],
    ) -> None:
        if future.exception() is not None:
            client.resume_publish(message.topic, message.ordering_key)

    def close(self, timeout: float | None = None) -> None:
        """Flush: send queued batches, wait for them (up to *timeout*), close the channel."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            clients = [c for c in (self._plain, self._ordered) if c is not None]
            pending = list(self._pending)
        for client in clients:
            client.stop()
        concurrent.futures.wait(pending, timeout=self.timeout if timeout is None else timeout)
        if clients:
            clients[0].transport.close()


def _traced(message: OutgoingMessage) -> Mapping[str, str]:
    """*message*'s attributes plus the trace context, unless that breaks Pub/Sub's limits.

    ``prepare`` accepted the message as the fake does; a ``traceparent`` pushing it past
    100 attributes or the 10 MB request would make Pub/Sub refuse it, so such a message
    is sent without trace context rather than refused.
    """
    attributes = _tracing.inject(dict(message.attributes))
    size = request_size(message.topic, message.data, attributes, message.ordering_key)
    if len(attributes) > MAX_ATTRIBUTES or size > MAX_REQUEST_BYTES:
        return message.attributes
    return attributes


def _new_client() -> pubsub_v1.PublisherClient:
    """A plain ``PublisherClient``; missing Google credentials are a configuration error."""
    try:
        return pubsub_v1.PublisherClient()
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigurationError(
            "no Google credentials found for Pub/Sub: set GOOGLE_APPLICATION_CREDENTIALS "
            "(or run on Google Cloud), or PUBSUB_EMULATOR_HOST to use an emulator"
        ) from exc


def _retry(timeout: float) -> Any:
    kinds = tuple(getattr(gexc, name) for name in _RETRYABLE)
    return gretry.Retry(
        predicate=gretry.if_exception_type(*kinds),
        initial=0.1,
        maximum=5.0,
        multiplier=1.3,
        timeout=timeout,
    )


class SharedPublisher(Protocol):
    """A publisher :class:`PubSubPublisher` can share, such as ``serpens.pubsub.AsyncPublisher``."""

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Publish *payload* to *topic* and return the message id."""
        ...


class PubSubPublisher:
    """Publisher port implementation over Google Pub/Sub.

    Pass a ready ``serpens.pubsub.AsyncPublisher`` to share it (one per process is the
    rule), or let the adapter own a client pair built with *timeout*. Closing the adapter
    flushes and closes the clients it owns; a shared publisher is left to its owner.

    Args:
        publisher: an existing publisher to use; default: clients owned by the adapter.
        timeout: seconds one publish may take when the adapter builds its clients;
            default ``PUBSUB_PUBLISH_TIMEOUT`` or 60.
    """

    def __init__(
        self, publisher: SharedPublisher | None = None, *, timeout: float | None = None
    ) -> None:
        self._shared = publisher
        self._clients = PublisherClients(publish_timeout(timeout)) if publisher is None else None
        self._closed = False

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Publisher.publish` and ``AsyncPublisher.publish``."""
        if self._shared is not None and not self._closed:
            return await self._shared.publish(
                topic, payload, attributes=attributes, ordering_key=ordering_key
            )
        message = prepare(topic, payload, attributes, ordering_key)  # bad input reports first
        if self._closed or self._clients is None:
            raise NotInitializedError("the publisher is closed; create a new one")
        return await self._clients.publish(message)

    async def close(self) -> None:
        """Refuse later publishes; flush and release the clients when the adapter owns them."""
        self._closed = True
        if self._clients is not None:
            await asyncio.to_thread(self._clients.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
