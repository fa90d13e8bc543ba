"""Google Pub/Sub publishing: :class:`AsyncPublisher` and the sync ``publish_message`` helpers.

``google-cloud-pubsub`` (the ``gcp`` extra) is imported when the first client is
created, never at import time; without it that first call raises
:class:`~serpens.errors.MissingExtraError` naming ``serpens[gcp]``.

Every publish validates the full topic id, payload and attributes before any network
call (see :func:`serpens._pubsub_codec.prepare`), encodes a mapping payload as compact
JSON, and maps SDK failures to serpens errors: an unreachable broker becomes
:class:`~serpens.errors.BackendUnavailableError`, a deadline
:class:`~serpens.errors.BackendTimeoutError`, a missing topic
:class:`~serpens.errors.NotFoundError`. When ``elasticapm`` is installed and a
transaction is active, each publish is recorded as a ``messaging`` span labelled with
the topic.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from serpens._config import env_float, env_str
from serpens._pubsub_apm import async_publish_span, publish_span
from serpens._pubsub_codec import OutgoingMessage, prepare
from serpens._pubsub_errors import translate_error
from serpens.errors import ConfigurationError, NotInitializedError, SerpensError
from serpens.ports import Payload

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import PublisherClient

__all__ = [
    "AsyncPublisher",
    "AttributeValue",
    "publish_message",
    "publish_message_batch",
]

_DEFAULT_PUBLISH_TIMEOUT = 60.0
"""Seconds a publish may take, retries included (``PUBSUB_PUBLISH_TIMEOUT`` overrides)."""

AttributeValue = str | int | float | bool
"""Attribute values accepted on publish; non-str values are converted (bools to true/false)."""

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


class _Clients:
    """One process-wide SDK client pair sharing one gRPC channel.

    Messages without an ordering key go through a plain client that retries transient
    errors until the publish timeout. Ordered messages go through a second client with
    message ordering enabled, created on first use over the same transport: the SDK
    retries ordered publishes forever, which would hang the caller when the broker is
    down, so they are attempted once per call and the key is resumed after a failure.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._plain: PublisherClient | None = None
        self._ordered: PublisherClient | None = None
        self._retry: Any = None
        self._pending: set[concurrent.futures.Future[str]] = set()
        self._closed = False

    def _client(self, *, ordered: bool) -> PublisherClient:
        with self._lock:
            if self._closed:
                raise NotInitializedError("the publisher is closed; create a new one")
            if self._plain is None:
                self._plain = _new_client()
                self._retry = _retry(self.timeout)
            if ordered and self._ordered is None:
                pubsub_v1 = _sdk()
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
                    **message.attributes,
                )
                future.add_done_callback(lambda f: self._resume_on_failure(client, message, f))
            else:
                future = client.publish(
                    message.topic,
                    message.data,
                    retry=retry,
                    timeout=timeout,
                    **message.attributes,
                )
        except RuntimeError as exc:  # the SDK's "Cannot publish on a stopped publisher."
            raise NotInitializedError("the publisher is closed; create a new one") from exc
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future  # type: ignore[no-any-return]  # the SDK future is untyped

    def _forget(self, future: concurrent.futures.Future[str]) -> None:
        with self._lock:
            self._pending.discard(future)

    @staticmethod
    def _resume_on_failure(
        client: PublisherClient, message: OutgoingMessage, future: concurrent.futures.Future[str]
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


def _sdk() -> Any:
    from serpens._extras import require  # noqa: PLC0415 - keep the SDK out of import time

    return require("google.cloud.pubsub_v1", "gcp")


def _new_client() -> PublisherClient:
    """A plain ``PublisherClient``; missing Google credentials are a configuration error."""
    pubsub_v1 = _sdk()
    from google.auth import exceptions as auth_exceptions  # noqa: PLC0415 - lazy SDK import

    try:
        return pubsub_v1.PublisherClient()
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigurationError(
            "no Google credentials found for Pub/Sub: set GOOGLE_APPLICATION_CREDENTIALS "
            "(or run on Google Cloud), or PUBSUB_EMULATOR_HOST to use an emulator"
        ) from exc


def _retry(timeout: float) -> Any:
    from google.api_core import exceptions, retry  # noqa: PLC0415 - lazy SDK import

    kinds = tuple(getattr(exceptions, name) for name in _RETRYABLE)
    return retry.Retry(
        predicate=retry.if_exception_type(*kinds),
        initial=0.1,
        maximum=5.0,
        multiplier=1.3,
        timeout=timeout,
    )


def _timeout_from_env(timeout: float | None) -> float:
    if timeout is not None:
        if not timeout > 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        return float(timeout)
    return env_float("PUBSUB_PUBLISH_TIMEOUT", _DEFAULT_PUBLISH_TIMEOUT, minimum=0.001)


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
        self._clients = _Clients(_timeout_from_env(timeout))

    @property
    def timeout(self) -> float:
        """Seconds one publish may take, retries included."""
        return self._clients.timeout

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
            ConfigurationError: the publisher is closed, or no Google credentials are found.
        """
        message = prepare(topic, payload, attributes, ordering_key)
        if not self._clients.ready:
            await asyncio.to_thread(self._clients.warm)
        async with async_publish_span(topic):
            future = self._clients.submit(message)
            try:
                return await asyncio.wrap_future(future)
            except Exception as exc:
                translated = translate_error(exc, topic)
                if translated is None:
                    raise
                raise translated from exc

    def close(self) -> None:
        """Send what is queued, wait for it (up to the timeout) and release the channel.

        Later publishes raise :class:`~serpens.errors.ConfigurationError`. Blocks while
        flushing: from async code prefer ``await aclose()``.
        """
        self._clients.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close`, flushing in a worker thread."""
        await asyncio.to_thread(self._clients.close)

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
_DEFAULT: dict[str | None, _Clients] = {}


def _default_clients() -> _Clients:
    """The process-wide clients of the sync helpers, one per ``PUBSUB_EMULATOR_HOST`` value."""
    host = env_str("PUBSUB_EMULATOR_HOST")
    with _DEFAULT_LOCK:
        clients = _DEFAULT.get(host)
        if clients is None:
            clients = _DEFAULT[host] = _Clients(_DEFAULT_PUBLISH_TIMEOUT)
        return clients


def _wait(future: concurrent.futures.Future[str], topic: str, timeout: float) -> str:
    try:
        # The SDK bounds the RPC and its retries by *timeout*; batching adds a little.
        return future.result(timeout=timeout)
    except Exception as exc:
        translated = translate_error(exc, topic)
        if translated is None:
            raise
        raise translated from exc


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
    seconds = _timeout_from_env(timeout)
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
    seconds = _timeout_from_env(timeout)
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
