"""The :class:`~serpens.ports.Publisher` port over Google Pub/Sub."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

from serpens._pubsub_codec import prepare
from serpens.errors import NotInitializedError
from serpens.ports import Payload
from serpens.pubsub import AsyncPublisher, AttributeValue

__all__ = ["PubSubPublisher"]


class PubSubPublisher:
    """Publisher port implementation backed by :class:`serpens.pubsub.AsyncPublisher`.

    Pass a ready ``AsyncPublisher`` to share it (one per process is the rule), or let
    the adapter own one built with *timeout*. Closing the adapter flushes and closes the
    publisher it owns; a shared one is left to its owner.

    Args:
        publisher: an existing publisher to use; default: a new one owned by the adapter.
        timeout: seconds one publish may take when the adapter builds its publisher.
    """

    def __init__(
        self, publisher: AsyncPublisher | None = None, *, timeout: float | None = None
    ) -> None:
        self._owned = publisher is None
        self._publisher = AsyncPublisher(timeout=timeout) if publisher is None else publisher
        self._closed = False

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, AttributeValue] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """See :meth:`serpens.ports.Publisher.publish` and :meth:`AsyncPublisher.publish`."""
        if self._closed:
            prepare(topic, payload, attributes, ordering_key)  # bad input reports first
            raise NotInitializedError("the publisher is closed; create a new one")
        return await self._publisher.publish(
            topic, payload, attributes=attributes, ordering_key=ordering_key
        )

    async def close(self) -> None:
        """Refuse later publishes; flush and release the publisher when the adapter owns it."""
        self._closed = True
        if self._owned:
            await self._publisher.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
