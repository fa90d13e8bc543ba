"""In-memory :class:`~serpens.ports.Publisher`: records what was published, for assertions."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from serpens._rules.publisher import prepare, validate_topic
from serpens.errors import ConfigurationError, NotFoundError, SerpensError
from serpens.fakes._outage import OutageSwitch
from serpens.ports import Payload

__all__ = ["InMemoryPublisher", "PublishedMessage"]


@dataclass(frozen=True, slots=True)
class PublishedMessage:
    """One message as the broker stored it: wire bytes, string attributes, id, time."""

    topic: str
    data: bytes
    message_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    ordering_key: str | None = None
    published_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8."""
        return self.data.decode("utf-8")

    def json(self) -> Any:
        """The payload decoded as JSON (what a dict payload was encoded to)."""
        return json.loads(self.data)


class InMemoryPublisher(OutageSwitch):
    """A complete in-memory Publisher with the adapter's validation and errors.

    With ``topics=None`` (the default) every well-formed topic exists, which suits unit
    tests of code that publishes; pass a list (or call :meth:`create_topic`) to make
    publishing to any other topic a :class:`~serpens.errors.NotFoundError`, as Pub/Sub does.

    Args:
        topics: the existing topics, or ``None`` for "every valid topic exists".
        id_factory: returns message ids; the default counts up from ``"1"``.
        clock: returns the publish time; the default is ``datetime.now(UTC)``.
    """

    def __init__(
        self,
        *,
        topics: Iterable[str] | None = None,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._topics = None if topics is None else {validate_topic(t) for t in topics}
        counter = itertools.count(1)
        self._next_id = id_factory or (lambda: str(next(counter)))
        self._clock = clock or (lambda: datetime.now(UTC))
        self._published: list[PublishedMessage] = []
        self._failures: list[SerpensError] = []
        self._closed = False

    def create_topic(self, topic: str) -> None:
        """Make *topic* exist (only meaningful when the fake was given a topic list)."""
        validate_topic(topic)
        if self._topics is not None:
            self._topics.add(topic)

    def fail_next(self, error: SerpensError, times: int = 1) -> None:
        """Make the next *times* valid publishes raise *error* and publish nothing."""
        self._failures.extend([error] * times)

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str | int | float | bool] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Record the message and return its id; validates exactly like the adapter."""
        message = prepare(topic, payload, attributes, ordering_key)
        if self._closed:
            raise ConfigurationError("the publisher is closed; create a new one")
        self._check_outage()
        if self._topics is not None and topic not in self._topics:
            raise NotFoundError(f"topic {topic} does not exist")
        if self._failures:
            raise self._failures.pop(0)
        published = PublishedMessage(
            topic=topic,
            data=message.data,
            message_id=self._next_id(),
            attributes=dict(message.attributes),
            ordering_key=message.ordering_key or None,
            published_at=self._clock(),
        )
        self._published.append(published)
        return published.message_id

    async def close(self) -> None:
        """Refuse later publishes with :class:`~serpens.errors.ConfigurationError`."""
        self._closed = True

    @property
    def published(self) -> list[PublishedMessage]:
        """Every message published so far, in publish order (a copy)."""
        return list(self._published)

    def messages(self, topic: str) -> list[PublishedMessage]:
        """The messages published to *topic*, in publish order."""
        return [m for m in self._published if m.topic == topic]

    def clear(self) -> None:
        """Forget the recorded messages (topics and failures are kept)."""
        self._published.clear()
