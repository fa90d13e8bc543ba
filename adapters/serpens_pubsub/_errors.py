"""Map google-cloud-pubsub failures to serpens errors (most specific first)."""

from __future__ import annotations

import concurrent.futures

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    NotFoundError,
    SerpensError,
    ValidationError,
)

__all__ = ["translate_error"]


def translate_error(exc: BaseException, topic: str) -> SerpensError | None:
    """Return the serpens error for *exc*, or ``None`` when it is not a broker failure.

    ``RetryError`` (the SDK gave up retrying) is judged by its last cause: an
    unreachable broker stays :class:`BackendUnavailableError`, anything else timed out.
    """
    if isinstance(exc, SerpensError):
        return exc
    if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
        return BackendTimeoutError(f"publish to {topic} did not complete in time")
    try:
        from google.api_core import exceptions as gexc  # noqa: PLC0415 - lazy SDK import
    except ModuleNotFoundError:  # pragma: no cover - only SDK futures reach here
        return None
    if isinstance(exc, gexc.RetryError):
        unavailable = isinstance(exc.cause, gexc.ServiceUnavailable)
        kind: type[SerpensError] = BackendUnavailableError if unavailable else BackendTimeoutError
        return kind(f"publish to {topic} gave up retrying: {exc.message}; last error: {exc.cause}")
    # most specific first: api_core's classes form a hierarchy
    table: list[tuple[type[BaseException], type[SerpensError], str]] = [
        (gexc.NotFound, NotFoundError, "topic {topic} does not exist"),
        (gexc.InvalidArgument, ValidationError, "Pub/Sub rejected the message for {topic}"),
        (gexc.DeadlineExceeded, BackendTimeoutError, "publish to {topic} exceeded its deadline"),
        (gexc.ServiceUnavailable, BackendUnavailableError, "Pub/Sub is unreachable ({topic})"),
        (gexc.GoogleAPIError, BackendError, "publish to {topic} failed"),
    ]
    for sdk_kind, serpens_kind, template in table:
        if isinstance(exc, sdk_kind):
            detail = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
            return serpens_kind(f"{template.format(topic=topic)}: {detail}")
    return None
