"""Sentry for serpens 2.9 services: :class:`FilteredEvent`, :func:`before_send`, :func:`setup`.

::

    from serpens import sentry, sqs

    sentry.setup()  # at cold start; does nothing unless SENTRY_DSN is set

    @sqs.handler
    def process(record: sqs.Record) -> None:
        if not record.body.get("customer_id"):
            raise sentry.FilteredEvent("no customer")  # fails the record, no Sentry event

:class:`FilteredEvent` and :func:`before_send` need nothing installed; :func:`setup` imports
``sentry_sdk`` (``serpens[sentry]``) only when ``SENTRY_DSN`` is set. Nothing happens at
import: serpens 2.9 initialised Sentry as a side effect of importing its handlers, serpens
initialises it when the service calls :func:`setup`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TypeVar

from serpens._config import env_str
from serpens._extras import require

__all__ = ["FilteredEvent", "before_send", "logger_exception", "setup"]

logger = logging.getLogger("serpens.sentry")

_Event = TypeVar("_Event")

_DEBUG_ON = frozenset({"yes", "true", "1"})
"""The ``DEBUG`` values that turn the SDK's debug output on, as in serpens 2.9."""


class FilteredEvent(Exception):  # noqa: N818 - serpens 2.9's name, raised by its services
    """An expected failure that must not reach Sentry.

    :func:`before_send` drops the events it causes. Raised from an :func:`serpens.sqs.handler`
    processor it fails its record, logged at warning level: on AWS the record is reported
    in ``batchItemFailures``; with ``CLOUD_PROVIDER`` set to anything else it propagates,
    as in serpens 2.9.
    """


def before_send(event: _Event, hint: Mapping[str, Any]) -> _Event | None:
    """Sentry's ``before_send`` hook: drop the event of a :class:`FilteredEvent`, keep the rest."""
    exc_info = hint.get("exc_info")
    if exc_info and isinstance(exc_info[1], FilteredEvent):
        return None
    return event


def setup() -> None:
    """Initialise ``sentry_sdk`` as serpens 2.9 did, when ``SENTRY_DSN`` is set (else nothing).

    ``environment`` comes from ``SENTRY_ENVIRONMENT``, then ``ENVIRONMENT`` (default
    ``development``); ``release`` from ``SENTRY_RELEASE``, then ``RELEASE`` (default
    ``app@0.0.0``); ``debug`` is on when ``DEBUG`` is ``yes``, ``true`` or ``1``; events of
    a :class:`FilteredEvent` are dropped (:func:`before_send`). Records logged at ``ERROR``
    and above are sent as events, with sentry-sdk 2 and 3 alike.

    Raises:
        MissingExtraError: ``SENTRY_DSN`` is set and ``sentry_sdk`` is not installed
            (``pip install 'serpens[sentry]'``).
    """
    dsn = env_str("SENTRY_DSN")
    if dsn is None:
        return
    sentry_sdk = require("sentry_sdk", "sentry")
    from sentry_sdk.integrations.logging import LoggingIntegration  # noqa: PLC0415 - the extra

    sentry_sdk.init(
        dsn=dsn,
        environment=env_str("SENTRY_ENVIRONMENT") or env_str("ENVIRONMENT") or "development",
        release=env_str("SENTRY_RELEASE") or env_str("RELEASE") or "app@0.0.0",
        debug=(env_str("DEBUG") or "").strip().lower() in _DEBUG_ON,
        before_send=before_send,
        # A logged error is an event, as it was with 2.9: sentry-sdk 2.x did it by default,
        # 3.0 does not (its logging integration's event_level is None); stated for both.
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
    )
    logger.info("Sentry's SDK initialized")


def logger_exception(exception: BaseException) -> None:
    """Log *exception* with its traceback, then flush Sentry (2 s at most) if it is in use.

    For the end of a short-lived process (a Lambda invocation) whose events must leave
    before it is frozen. Without ``sentry_sdk`` imported there is nothing to flush.
    """
    logger.error("%s", exception, exc_info=exception)
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is not None:
        sentry_sdk.flush(timeout=2)
