"""The :class:`Publisher` port: publish messages to topics (Google Pub/Sub semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["Payload", "Publisher"]

Payload = bytes | str | Mapping[str, object]
"""A message body: bytes as is, str as UTF-8, a mapping as compact JSON."""


class Publisher(Protocol):
    """Publishes messages to topics (Google Pub/Sub semantics).

    Shared semantics (pinned by ``serpens_contract.PublisherContract``):

    - ``topic`` is the full id ``projects/<project>/topics/<name>``; a malformed id (the
      project not spelt as Google Cloud spells one: lowercase ASCII letters, digits,
      ``-``, ``.`` and ``:``; so any NUL, control character or lone surrogate) raises
      :class:`serpens.errors.ValidationError` before any network call.
    - Delivery is at-least-once; the returned id is unique per published message.
    - The payload is sent as bytes unchanged, a str as UTF-8, a mapping as compact JSON
      (``{"a":1}``); a payload that cannot be encoded raises
      :class:`serpens.errors.SerializationError`.
    - Attributes are strings; the caller's mappings are never mutated. Implementations
      may accept other values and send them with fixed spellings: ``True``/``False`` as
      ``"true"``/``"false"`` (the JSON literals, as subscription filters compare them),
      UTF-8 ``bytes`` as their text, numbers in decimal form, never with an exponent (``1e20`` as
      ``"100000000000000000000"``, ``1e-7`` as ``"0.0000001"``; NaN and infinities are a
      :class:`serpens.errors.ValidationError`), UUIDs canonical. Pub/Sub's limits apply: at most 100
      attributes, keys of 1-256 bytes, values of at most 1024 bytes, an ordering key of
      at most 1024 bytes. An empty message (no payload, no attributes), an invalid
      attribute or an empty ordering key raises
      :class:`serpens.errors.ValidationError` before any network call.
    - Messages with the same ``ordering_key`` are delivered in publish order.
    - An unreachable broker raises :class:`serpens.errors.BackendUnavailableError`; a
      missing topic raises :class:`serpens.errors.NotFoundError`; publishing after
      ``close()`` raises :class:`serpens.errors.ConfigurationError`.

    The port is asynchronous because publishing is I/O that must not block an event loop;
    the sync helpers in ``serpens.pubsub`` cover one-shot scripts.
    """

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Publish *payload* to *topic* and return the broker-assigned message id."""
        ...

    async def close(self) -> None:
        """Flush pending messages and release the client; later publishes raise."""
        ...
