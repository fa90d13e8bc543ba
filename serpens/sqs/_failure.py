"""What becomes of a record whose processor fails, shared by the sync and async batches.

:class:`RetryLater` (re-exported by :mod:`serpens.sqs`) and the visibility change it asks
for, bounded by the invocation's end (:data:`INVOCATION_ENDS`, set by the handlers from
:func:`invocation_ends`); :func:`report_failure`, which logs a failed record on the
``serpens.sqs`` logger; and :func:`propagates`, whether failures propagate instead
(``CLOUD_PROVIDER`` not aws), with :func:`report_propagated` logging them first. The SDK
is imported only when a record asks for a delay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from serpens import _apm
from serpens._config import env_str
from serpens._rules.queue import MAX_VISIBILITY_TIMEOUT
from serpens.errors import ValidationError
from serpens.sentry import FilteredEvent

__all__ = [
    "INVOCATION_ENDS",
    "RetryLater",
    "dict_signal_fails",
    "get_cloud_provider",
    "invocation_ends",
    "propagates",
    "report_failure",
    "report_propagated",
]

logger = logging.getLogger("serpens.sqs")

INVOCATION_ENDS: ContextVar[float | None] = ContextVar("serpens_sqs_ends", default=None)
"""When the running invocation times out (:func:`time.monotonic`), if its context says."""

_SPARE = 1.5
"""Seconds before the invocation's end that a visibility change must leave: its connect
(1 s at most) may start just before its limit, and the handler still has to return."""


class RetryLater(Exception):  # noqa: N818 - a signal, not an error; the name reads as intent
    """Raise from a processor to redeliver this record after *delay* seconds.

    The record is reported as failed and its visibility timeout is set to *delay*
    (0 to 43200). If the visibility cannot be changed, the record is still reported and
    comes back after the queue's own visibility timeout.
    """

    def __init__(self, delay: int, reason: str = "") -> None:
        if isinstance(delay, bool) or not isinstance(delay, int):
            raise ValidationError(f"RetryLater delay must be whole seconds, got {delay!r}")
        if not 0 <= delay <= MAX_VISIBILITY_TIMEOUT:
            raise ValidationError(f"RetryLater delay must be 0 to {MAX_VISIBILITY_TIMEOUT}")
        self.delay = delay
        self.reason = reason
        super().__init__(f"retry in {delay}s" + (f": {reason}" if reason else ""))


def get_cloud_provider() -> str:
    """``CLOUD_PROVIDER`` (read per call), ``"aws"`` when unset or empty: serpens 2.9's name."""
    return env_str("CLOUD_PROVIDER") or "aws"


def propagates() -> bool:
    """Whether failures propagate: ``CLOUD_PROVIDER`` (read per call) is set and not aws."""
    return get_cloud_provider().strip().lower() not in {"", "aws"}


def dict_signal_fails(raw: Mapping[str, Any], propagate: bool) -> bool:
    """Whether a processor's returned ``{"messageId": ...}`` fails its record.

    As in serpens 2.9 it does on AWS; outside AWS (*propagate*), where there is no partial
    batch response, 2.9 ignored it and the record counts as processed, so it does here.
    """
    if propagate:
        logger.info(
            "SQS message %s: a returned dict with 'messageId' fails a record only on AWS; "
            "ignored on %s",
            raw.get("messageId"),
            get_cloud_provider(),
        )
        return False
    logger.info("SQS message %s failed (legacy dict signal)", raw.get("messageId"))
    return True


def invocation_ends(context: Any) -> float | None:
    """When the invocation of *context* times out, or ``None`` if it does not say.

    Tests call handlers with ``None``, a dict or a mock for a context: anything but a
    number of milliseconds from ``get_remaining_time_in_millis()`` means "not said".
    """
    ask = getattr(context, "get_remaining_time_in_millis", None)
    if ask is None:
        return None
    try:
        remaining = ask()
    except Exception:  # noqa: BLE001 - a stand-in's own failure: time not said
        return None
    if isinstance(remaining, bool) or not isinstance(remaining, int | float):
        return None
    return time.monotonic() + remaining / 1000


def _retry_later(raw: Mapping[str, Any], signal: RetryLater) -> None:
    ends = INVOCATION_ENDS.get()
    limit = None if ends is None else ends - _SPARE
    if limit is not None and limit <= time.monotonic():
        logger.warning(
            "no time left to delay SQS message %s; it returns after the queue's visibility timeout",
            raw.get("messageId"),
        )
        return
    try:
        from serpens_aws._visibility import change_visibility  # noqa: PLC0415 - boto3 on demand

        change_visibility(raw, signal.delay, limit=limit)
    except Exception:  # the record is reported anyway, so it is never lost
        logger.exception(
            "could not delay SQS message %s; it returns after the queue's visibility timeout",
            raw.get("messageId"),
        )


def report_failure(raw: Mapping[str, Any], exc: BaseException) -> None:
    """Log a failed record; a :class:`RetryLater` also sets its visibility timeout.

    Any other failure also goes to elastic-apm, when the application configured it, and
    marks the current transaction failed, as serpens 2.9 did.
    """
    if isinstance(exc, RetryLater):
        message_id = raw.get("messageId")
        logger.info("SQS message %s: %s", message_id, exc, extra={"message_id": message_id})
        _retry_later(raw, exc)
        return
    _log_failed(raw, exc, provider=None)


def report_propagated(raw: Mapping[str, Any], exc: BaseException) -> None:
    """Log a failed record whose exception propagates (``CLOUD_PROVIDER`` not aws).

    As serpens 2.9 did before re-raising: an error with the traceback (a warning for
    :class:`~serpens.sentry.FilteredEvent`) naming the record and the provider, and the
    failure sent to elastic-apm when the application configured it. The record's body
    is never logged (2.9 logged the whole record).
    """
    if isinstance(exc, RetryLater):  # a signal, not an error; there is no visibility to set
        message_id = raw.get("messageId")
        logger.info(
            "SQS message %s on %s: %s",
            message_id,
            get_cloud_provider(),
            exc,
            extra={"message_id": message_id},
        )
        return
    _log_failed(raw, exc, provider=get_cloud_provider())


def _log_failed(raw: Mapping[str, Any], exc: BaseException, *, provider: str | None) -> None:
    """Send a failure to elastic-apm and log it with its traceback.

    A :class:`~serpens.sentry.FilteredEvent` is an expected failure: a warning, as in
    serpens 2.9. With a *provider* (outside AWS, where the failure propagates) the line
    names it and the error's text too.
    """
    message_id = raw.get("messageId")
    fields = {"message_id": message_id}
    on = "" if provider is None else f" on {provider}"
    _apm.capture_failure(exc)
    if isinstance(exc, FilteredEvent):
        logger.warning(
            "SQS message %s failed%s (filtered event): %s",
            message_id,
            on,
            exc,
            exc_info=exc,
            extra=fields,
        )
    elif provider is None:
        logger.error("SQS message %s failed", message_id, exc_info=exc, extra=fields)
    else:
        logger.error("SQS message %s failed%s: %s", message_id, on, exc, exc_info=exc, extra=fields)
