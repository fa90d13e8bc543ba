"""Relay committed outbox messages to a publisher: at least once, in order per ordering key.

The transactional outbox in three parts: a service stages a message in the unit of work
that changes its rows (:class:`~serpens.ports.Outbox`: ``InMemoryOutbox`` in unit
tests, ``serpens_sqlalchemy.SQLAlchemyOutbox`` in production), so the message commits
with the rows or not at all; a relay claims the committed messages from an
:class:`~serpens.ports.OutboxStore` and publishes them with a
:class:`~serpens.ports.Publisher`::

    async with AsyncSession(engine) as session:
        orders = AsyncSQLAlchemyRepository(Order, session)
        order = await orders.add(Order(total=42))
        SQLAlchemyOutbox(session).put(topic, {"order": order.id}, ordering_key=str(order.id))
        await session.commit()

    # in the relay's task or process
    await run_relay(AsyncPostgresOutboxStore(engine), publisher)

:func:`relay` does one round: claim, publish concurrently, then delete the published
messages (one call) and give each failed one a delay that doubles with its attempts.
:func:`run_relay` repeats rounds until stopped. A message is published at least once:
a relay that crashes after publishing, or whose lease ends first, leaves it to be
claimed and published again, so consumers must tolerate a repeat (its ``key`` is the
same each time). Of one ordering key a message is published only after the one before
it was delivered, so a failing message holds its key back until it succeeds.

``OutboxRecord`` (the table ``serpens_outbox``) and ``outbox_metadata`` are here for
migrations: add ``outbox_metadata`` to Alembic's ``target_metadata``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serpens._rules.publisher import encode_attributes
from serpens._rules.seconds import LONGEST_DELAY as MAX_SECONDS
from serpens.errors import BackendError, FieldError, LeaseLostError, ValidationError
from serpens.ports import OutboxMessage, OutboxStore, Publisher

if TYPE_CHECKING:
    from serpens._rules.outbox import OutboxRecord, outbox_metadata

__all__ = [
    "OutboxRecord",
    "RelayReport",
    "outbox_metadata",
    "relay",
    "retry_delay",
    "run_relay",
]

logger = logging.getLogger("serpens.outbox")

_MOST_DOUBLINGS = 64
"""Doublings past which the delay stops growing (2**64 s is past any ``max_backoff``)."""


@dataclass(frozen=True, slots=True)
class RelayReport:
    """What one :func:`relay` round did with the messages it claimed.

    Attributes:
        delivered: published and deleted from the outbox.
        retried: not published (the publisher raised); due again after their delay.
        lost: settled after their lease ended (another claim may hold them): published
            or not, they will be published again.
    """

    delivered: int = 0
    retried: int = 0
    lost: int = 0

    @property
    def claimed(self) -> int:
        """How many messages the round claimed."""
        return self.delivered + self.retried + self.lost


def _seconds_error(name: str, value: object, *, zero: bool) -> FieldError | None:
    """A number of seconds, at most the stores' longest delay (a retry's ``after``).

    Compared before any conversion, so NaN, infinities and ints too large for a float
    are refused, not an ``OverflowError``.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not ((value >= 0 if zero else value > 0) and value <= MAX_SECONDS)
    ):
        least = ">= 0" if zero else "> 0"
        return FieldError(
            name, f"must be a number of seconds {least} and at most {MAX_SECONDS:,}, got {value!r}"
        )
    return None


def _check_relay(
    backoff: object, max_backoff: object, key_attribute: object, poll: object = None
) -> tuple[float, float, str | None]:
    """Check the relay's own arguments (*poll* too, unless ``None``); name every bad one."""
    errors = [
        error
        for error in (
            _seconds_error("backoff", backoff, zero=True),
            _seconds_error("max_backoff", max_backoff, zero=True),
            None if poll is None else _seconds_error("poll", poll, zero=False),
        )
        if error is not None
    ]
    if not errors and max_backoff < backoff:  # type: ignore[operator]
        errors.append(FieldError("max_backoff", f"must be at least backoff ({backoff!r})"))
    if key_attribute is not None:
        try:
            encode_attributes({key_attribute: "0" * 32})  # type: ignore[dict-item]
        except ValidationError as exc:  # its field errors name the attribute's key
            errors += [FieldError("key_attribute", error.message) for error in exc.errors]
    if errors:
        raise ValidationError("invalid outbox relay", errors)
    return float(backoff), float(max_backoff), key_attribute  # type: ignore[arg-type, return-value]


def retry_delay(attempts: int, *, backoff: float = 1.0, max_backoff: float = 300.0) -> float:
    """The delay before a message that failed its *attempts*-th publish is due again.

    ``backoff`` seconds after the first failure, doubling with each one after it, at most
    ``max_backoff``: 1, 2, 4, ... 256, 300, 300 seconds by default.
    """
    doublings = min(max(attempts - 1, 0), _MOST_DOUBLINGS)
    return float(min(max_backoff, backoff * 2.0**doublings))


async def _publish(
    publisher: Publisher, message: OutboxMessage, key_attribute: str | None
) -> Exception | None:
    """Publish *message*; the exception the publisher raised, if it did."""
    attributes = message.attributes
    if key_attribute is not None:
        attributes = {**attributes, key_attribute: message.key}
    try:
        await publisher.publish(
            message.topic,
            message.payload,
            attributes=attributes,
            ordering_key=message.ordering_key,
        )
    except Exception as exc:  # noqa: BLE001 - any publisher failure is a retry, never a loss
        return exc
    return None


def _log_lost(message: OutboxMessage) -> None:
    logger.warning(
        "outbox message %s (%s) to %s was settled after its lease of %.3g s ended: "
        "it will be published again",
        message.id,
        message.key,
        message.topic,
        message.lease,
    )


async def _retry(
    store: OutboxStore, message: OutboxMessage, failure: Exception, delay: float
) -> bool:
    """Give a message whose publish failed its delay; whether its claim still held."""
    logger.warning(
        "outbox message %s (%s) to %s failed attempt %d: %s: %s; due again in %.3g s",
        message.id,
        message.key,
        message.topic,
        message.attempts,
        type(failure).__name__,
        failure,
        delay,
    )
    try:
        await store.retry(message, after=delay)
    except LeaseLostError:
        _log_lost(message)
        return False
    return True


async def relay(
    store: OutboxStore,
    publisher: Publisher,
    *,
    limit: int = 100,
    lease: float = 30.0,
    backoff: float = 1.0,
    max_backoff: float = 300.0,
    key_attribute: str | None = None,
) -> RelayReport:
    """Claim up to *limit* due messages, publish them, and settle each claim.

    The messages are published concurrently (a claim holds at most one message of each
    ordering key, so no key's order is at stake), then settled: the published ones
    deleted in one call (``delivered_many``), each failed one due again after
    :func:`retry_delay` of its attempts. *lease* must cover the publishes: a claim
    settled after its lease ended counts as ``lost`` and its message is published
    again. With *key_attribute*, each message carries its outbox key in that attribute
    (``"outbox-key"``, say): the same on every publish of the message, so consumers can
    drop repeats by it.

    Raises:
        ValidationError: a bad ``limit``, ``lease``, ``backoff``, ``max_backoff`` or
            ``key_attribute`` (not a name Pub/Sub takes).
        BackendError: the store could not be reached: claimed messages not yet settled
            are claimed again when their lease ends.
    """
    backoff, max_backoff, key_attribute = _check_relay(backoff, max_backoff, key_attribute)
    messages = await store.claim(limit=limit, lease=lease)
    failures = await asyncio.gather(*(_publish(publisher, m, key_attribute) for m in messages))
    published = [m for m, failure in zip(messages, failures, strict=True) if failure is None]
    late = list(await store.delivered_many(published)) if published else []
    for message in late:
        _log_lost(message)
    retried = lost = 0
    for message, failure in zip(messages, failures, strict=True):
        if failure is not None:
            delay = retry_delay(message.attempts, backoff=backoff, max_backoff=max_backoff)
            if await _retry(store, message, failure, delay):
                retried += 1
            else:
                lost += 1
    return RelayReport(delivered=len(published) - len(late), retried=retried, lost=lost + len(late))


async def run_relay(
    store: OutboxStore,
    publisher: Publisher,
    *,
    poll: float = 1.0,
    stop: asyncio.Event | None = None,
    wake: asyncio.Event | None = None,
    limit: int = 100,
    lease: float = 30.0,
    backoff: float = 1.0,
    max_backoff: float = 300.0,
    key_attribute: str | None = None,
) -> None:
    """Relay rounds until *stop* is set (or the task is cancelled).

    A round that claimed fewer than *limit* messages drained the outbox: the next one
    waits *poll* seconds, or until *stop* or *wake* is set. Set *wake* after committing a
    unit of work that staged messages, and they go out at once rather than at the next
    poll; each round clears it as it starts, so a *wake* set during a round brings
    another round straight after it. A round the store failed (``BackendError``) is
    logged and tried again after *poll* seconds; nothing is lost. The other arguments
    are :func:`relay`'s.
    """
    _check_relay(backoff, max_backoff, key_attribute, poll)
    stop = stop if stop is not None else asyncio.Event()
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        try:
            report = await relay(
                store,
                publisher,
                limit=limit,
                lease=lease,
                backoff=backoff,
                max_backoff=max_backoff,
                key_attribute=key_attribute,
            )
        except BackendError as exc:
            logger.warning("outbox relay round failed: %s: %s", type(exc).__name__, exc)
            await _pause(poll, stop)  # a wake does not hurry a round after a failed one
        else:
            if report.claimed < limit:  # else more may be due: no wait
                await _pause(poll, stop, wake)


async def _pause(poll: float, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
    """Wait *poll* seconds, or less if *stop* (or *wake*) is set meanwhile."""
    events = [stop] if wake is None else [stop, wake]
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


def __getattr__(name: str) -> Any:
    """``OutboxRecord`` and ``outbox_metadata`` on first access: they need SQLAlchemy."""
    if name in {"OutboxRecord", "outbox_metadata"}:
        from serpens._rules import outbox  # noqa: PLC0415

        value = getattr(outbox, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
