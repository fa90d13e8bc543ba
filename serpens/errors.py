"""The serpens error hierarchy.

Every error serpens raises on purpose derives from :class:`SerpensError`, and the
common ones also derive from the matching builtin, so ``except LookupError`` or
``except TimeoutError`` in existing code keeps working::

    SerpensError
    ├── ConfigurationError              a setting is missing or malformed
    │   ├── MissingExtraError (+ImportError)   an optional SDK is not installed
    │   └── NotInitializedError (+RuntimeError)  used before init/bind or after close
    ├── NotFoundError (+LookupError)    alias NotFound; the requested item does not exist
    ├── ConflictError                   a uniqueness or concurrency conflict
    ├── ValidationError (+ValueError)   input failed validation; carries field paths
    ├── SerializationError (+ValueError)  a value cannot be encoded or decoded
    ├── HTTPStatusError                 an HTTP response carried an error status
    └── BackendError                    the backing service failed
        ├── BackendUnavailableError (+ConnectionError)
        └── BackendTimeoutError (+TimeoutError)

Messages name the key, field or setting involved and never contain secrets: URLs
are masked with :func:`serpens.errors.mask_url` before they reach a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "FieldError",
    "HTTPStatusError",
    "MissingExtraError",
    "NotFound",
    "NotFoundError",
    "NotInitializedError",
    "SerializationError",
    "SerpensError",
    "ValidationError",
    "mask_url",
]


class SerpensError(Exception):
    """Root of every error serpens raises deliberately."""


class ConfigurationError(SerpensError):
    """A setting (environment variable, argument or call order) is missing or malformed."""


class MissingExtraError(ConfigurationError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{module!r} is not installed; install it with: pip install 'serpens[{extra}]'"
        )


class NotInitializedError(ConfigurationError, RuntimeError):
    """A client was used before its init or bind call, or after it was closed.

    A ``RuntimeError`` as in serpens 2.9 (``except RuntimeError`` keeps working) and a
    :class:`ConfigurationError` (a call-order mistake). Raised by
    ``http_client.get_client`` before ``init_client``, the Redis cache before
    ``redis_init``, ``serpens.database`` sessions and engines before a bind, and a
    Pub/Sub publisher after ``close()`` (the Google SDK raised ``RuntimeError`` there).
    """


class NotFoundError(SerpensError, LookupError):
    """The requested item does not exist."""


NotFound = NotFoundError
"""Alias kept for the documented ``serpens.database.NotFound`` name."""


class ConflictError(SerpensError):
    """A write conflicts with existing state (duplicate key, stale version, taken lock)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: its path (``items[2].price``) and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(SerpensError, ValueError):
    """Input failed validation.

    Attributes:
        errors: every invalid field with its path, in input order.
    """

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        self.errors: list[FieldError] = list(errors or [])
        detail = "; ".join(str(e) for e in self.errors)
        super().__init__(f"{message}: {detail}" if detail else message)


class SerializationError(SerpensError, ValueError):
    """A value cannot be serialised to, or deserialised from, its wire format."""


class HTTPStatusError(SerpensError):
    """An HTTP response carried a 4xx or 5xx status.

    Attributes:
        status_code: the response status.
        url: the request URL with any credentials masked.
    """

    def __init__(self, status_code: int, url: str, message: str | None = None) -> None:
        self.status_code = status_code
        self.url = mask_url(url)
        super().__init__(message or f"HTTP {status_code} from {self.url}")


class BackendError(SerpensError):
    """The backing service (database, cache, broker, HTTP peer) failed."""


class BackendUnavailableError(BackendError, ConnectionError):
    """The backing service cannot be reached (refused, reset, DNS, closed pool)."""


class BackendTimeoutError(BackendError, TimeoutError):
    """The backing service did not answer in time, or cancelled a statement for time."""


_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]*)@"
)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?token)=)[^&#\s]*",
    re.IGNORECASE,
)


def mask_url(url: str) -> str:
    """Return *url* with its password and secret-looking query values replaced by ``***``.

    >>> mask_url("postgresql://app:s3cret@db:5432/app?sslmode=require&password=x")
    'postgresql://app:***@db:5432/app?sslmode=require&password=***'
    """
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}***", masked)
