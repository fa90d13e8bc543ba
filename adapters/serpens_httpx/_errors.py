"""httpx failures mapped to serpens errors: one table, most specific first; URLs are masked.

:func:`translate` looks an exception up, :func:`translate_errors` re-raises with
``raise ... from exc``. The masked ``METHOD url`` prefix is built only when an error is
raised: masking costs two regex passes that a successful request should not pay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import httpx

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    SerializationError,
    SerpensError,
    ValidationError,
    mask_url,
)

__all__ = ["translate", "translate_errors"]

_Factory = Callable[[Exception, str], SerpensError]

# most specific first: TimeoutException and UnsupportedProtocol are TransportErrors
_TABLE: Final[tuple[tuple[type[Exception] | tuple[type[Exception], ...], _Factory], ...]] = (
    (httpx.TimeoutException, lambda _, where: BackendTimeoutError(f"{where} timed out")),
    (httpx.TooManyRedirects, lambda _, where: BackendError(f"{where}: too many redirects")),
    (
        (httpx.UnsupportedProtocol, httpx.InvalidURL),
        lambda _, where: ValidationError(f"{where}: invalid URL"),
    ),
    (
        httpx.DecodingError,
        lambda _, where: SerializationError(f"{where}: the response body could not be decoded"),
    ),
    (  # connect, read, write, protocol and proxy errors
        httpx.TransportError,
        lambda exc, where: BackendUnavailableError(f"{where}: {type(exc).__name__}"),
    ),
)


def translate(exc: Exception, where: Callable[[], str]) -> SerpensError | None:
    """Return the serpens error for httpx failure *exc*, or ``None`` when none applies.

    *where* builds the masked ``METHOD url`` prefix of the message, on demand.
    """
    for sdk_kind, factory in _TABLE:
        if isinstance(exc, sdk_kind):
            return factory(exc, where())
    return None


@contextmanager
def translate_errors(method: str, url: str) -> Iterator[None]:
    """Re-raise httpx failures of ``method url`` as serpens errors (``raise ... from exc``)."""
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
        mapped = translate(exc, lambda: f"{method.upper()} {mask_url(url)}")
        if mapped is None:
            raise
        raise mapped from exc
