"""google-cloud-pubsub failures mapped to serpens errors: one table, most specific first.

Messages name the topic and the SDK's error, never a payload or an attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from google.api_core import exceptions as gexc

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    NotFoundError,
    SerpensError,
    ValidationError,
)

__all__ = ["TopicNotFoundError", "translate", "translate_errors"]

_Factory = Callable[[BaseException, str], SerpensError]


class TopicNotFoundError(NotFoundError, gexc.NotFound):
    """The topic of a publish does not exist.

    Both a :class:`serpens.errors.NotFoundError` and the SDK's
    ``google.api_core.exceptions.NotFound``, so ``except NotFound`` written for serpens
    2.9 (which let the SDK's error through) and ``except NotFoundError`` both catch it.
    """

    def __init__(self, message: str) -> None:
        gexc.NotFound.__init__(self, message)  # type: ignore[no-untyped-call]  # untyped SDK

    def __str__(self) -> str:
        return str(self.message)


def _timed_out(_exc: BaseException, topic: str) -> SerpensError:
    return BackendTimeoutError(f"publish to {topic} did not complete in time")


def _gave_up(exc: BaseException, topic: str) -> SerpensError:
    """``RetryError``: an unreachable broker stays unavailable, anything else timed out."""
    cause, message = getattr(exc, "cause", None), getattr(exc, "message", exc)
    unavailable = isinstance(cause, gexc.ServiceUnavailable)
    kind: type[SerpensError] = BackendUnavailableError if unavailable else BackendTimeoutError
    return kind(f"publish to {topic} gave up retrying: {message}; last error: {cause}")


def _failed(kind: type[SerpensError], template: str) -> _Factory:
    def make(exc: BaseException, topic: str) -> SerpensError:
        detail = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
        return kind(f"{template.format(topic=topic)}: {detail}")

    return make


# most specific first: api_core's classes form a hierarchy (RetryError is a GoogleAPIError)
_TABLE: Final[tuple[tuple[type[BaseException], _Factory], ...]] = (
    (TimeoutError, _timed_out),  # concurrent.futures.TimeoutError is TimeoutError
    (gexc.RetryError, _gave_up),
    (gexc.NotFound, _failed(TopicNotFoundError, "topic {topic} does not exist")),
    (gexc.InvalidArgument, _failed(ValidationError, "Pub/Sub rejected the message for {topic}")),
    (
        gexc.DeadlineExceeded,
        _failed(BackendTimeoutError, "publish to {topic} exceeded its deadline"),
    ),
    (gexc.ServiceUnavailable, _failed(BackendUnavailableError, "Pub/Sub is unreachable ({topic})")),
    (gexc.GoogleAPIError, _failed(BackendError, "publish to {topic} failed")),
)


def translate(exc: BaseException, topic: str) -> SerpensError | None:
    """Return the serpens error for *exc* raised publishing to *topic*.

    A serpens error is returned as is; ``None`` means *exc* is no broker failure and
    should propagate unchanged.
    """
    if isinstance(exc, SerpensError):
        return exc
    for sdk_kind, factory in _TABLE:
        if isinstance(exc, sdk_kind):
            return factory(exc, topic)
    return None


@contextmanager
def translate_errors(topic: str) -> Iterator[None]:
    """Re-raise SDK failures of a publish to *topic* as serpens errors (``raise ... from exc``)."""
    try:
        yield
    except Exception as exc:
        mapped = translate(exc, topic)
        if mapped is None or mapped is exc:
            raise
        raise mapped from exc
