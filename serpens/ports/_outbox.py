"""The Outbox port and its relay's store: publish messages that commit with a unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from serpens.ports._publisher import Payload

__all__ = ["Outbox", "OutboxMessage", "OutboxStore"]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A committed outbox message a relay claimed: publish it, then settle the claim.

    ``id`` grows with each message staged (commit order, for units of work that commit
    one after another); ``key`` is the id :meth:`Outbox.put` returned. ``payload`` is
    the encoded body (a str as UTF-8, a mapping as compact JSON, as the
    :class:`~serpens.ports.Publisher` port encodes it). ``attempts`` counts the claims
    of the message, this one included; ``token`` identifies this claim (a fencing
    token: greater than every token the message had before); ``lease`` is the lease
    granted, in seconds.
    """

    id: int
    key: str
    topic: str
    payload: bytes
    attributes: Mapping[str, str] = field(default_factory=dict)
    ordering_key: str | None = None
    attempts: int = 1
    token: int = 1
    lease: float = 0.0


class Outbox(Protocol):
    """Stages messages in a unit of work: published after it commits, dropped if it rolls back.

    The transactional outbox: a service that changes rows and must tell others about it
    writes the message in the same transaction as the rows, so a crash between the
    commit and the publish loses nothing and a rollback publishes nothing. A relay
    (:func:`serpens.outbox.relay`) later claims committed messages from an
    :class:`OutboxStore` and publishes them with a :class:`~serpens.ports.Publisher`.

    Shared semantics (pinned by ``serpens_contract.OutboxContract``):

    - ``put`` checks the message as ``Publisher.publish`` does (topic, payload,
      attributes, ordering key: the same :class:`serpens.errors.ValidationError` and
      :class:`serpens.errors.SerializationError`, before anything is staged), stages it
      in the unit of work the outbox was opened on and returns its key (a new UUID, as
      32 hexadecimal digits). It does no I/O: the message is written when the unit of
      work flushes, and becomes visible to :meth:`OutboxStore.claim` when it commits.
    - A unit of work that rolls back or closes without committing drops its messages.
    """

    def put(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Stage a message for *topic* in the unit of work and return its key."""
        ...


class OutboxStore(Protocol):
    """The relay's side of an outbox: claim committed messages, then settle each claim.

    Shared semantics (pinned by ``serpens_contract.OutboxContract``):

    - ``claim(limit=, lease=)`` returns up to *limit* committed messages that are due,
      lowest ``id`` first, and holds each for ``lease`` seconds: no other claim returns
      it until the lease ends. A claim whose lease ended without being settled is
      returned again by a later ``claim``, with ``attempts`` + 1 and a greater ``token``
      (at-least-once: a relay that crashed after publishing publishes it again).
    - Order: of the messages with one ``ordering_key``, only the lowest ``id`` not yet
      delivered can be claimed, and only while it is due and no message of its key is
      held (claimed with its lease not over, or waiting for a retry's delay): a message
      that failed holds back the rest of its key until it is delivered, and a key never
      has two messages in flight, even when a unit of work with a lower ``id`` commits
      after a higher one was claimed (that one is claimed after). Messages without an
      ordering key are not held back by any other.
    - ``delivered(message)`` deletes the message while its claim holds (its lease has
      not ended and no ``retry`` or later claim settled it); ``retry(message, after=)``
      ends the claim and makes the message due again *after* seconds (0: at once).
      Either raises :class:`serpens.errors.LeaseLostError` and changes nothing when the
      claim no longer holds: the message was, or will be, claimed again.
    - ``delivered_many(messages)`` is ``delivered`` of up to 1,000 messages in one call
      (a relay's round settles in one round trip): it deletes each message whose claim
      holds and returns, in the order given, those whose claim did not (nothing changed
      for them) instead of raising. A message given twice is deleted once; an empty
      sequence does nothing.
    - ``pending()`` counts the committed messages not yet delivered, claimed or not.
    - ``limit`` is an ``int`` from 1 to 1,000; ``lease`` a finite number of seconds
      above 0 and ``after`` one from 0, both at most 366 days and rounded up to whole
      milliseconds; anything else raises :class:`serpens.errors.ValidationError` before
      any I/O, as does a ``message`` that is not an :class:`OutboxMessage` (or
      ``messages`` that are not a sequence of at most 1,000 of them).
    - An unreachable backend raises :class:`serpens.errors.BackendUnavailableError`, or
      :class:`serpens.errors.BackendTimeoutError` past the store's deadline; a call that
      raised either took effect whole or not at all.
    """

    async def claim(self, *, limit: int = 100, lease: float = 30.0) -> Sequence[OutboxMessage]:
        """Claim up to *limit* due messages for *lease* seconds, lowest id first."""
        ...

    async def delivered(self, message: OutboxMessage) -> None:
        """Delete *message*, published, while its claim holds."""
        ...

    async def delivered_many(self, messages: Sequence[OutboxMessage]) -> Sequence[OutboxMessage]:
        """Delete each of *messages* whose claim holds; return those whose claim did not."""
        ...

    async def retry(self, message: OutboxMessage, *, after: float = 0.0) -> None:
        """End *message*'s claim; it is due again in *after* seconds."""
        ...

    async def pending(self) -> int:
        """Count the committed messages not yet delivered."""
        ...
