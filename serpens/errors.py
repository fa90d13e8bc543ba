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
    │   ├── InProgressError             an idempotency key is being worked on elsewhere
    │   ├── KeyReusedError              an idempotency key came with another payload
    │   └── LeaseLostError              an idempotency claim's lease ended first
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
    "InProgressError",
    "KeyReusedError",
    "LeaseLostError",
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


class InProgressError(ConflictError):
    """An idempotency key is claimed by a call still within its lease: try again later.

    Attributes:
        retry_after: seconds until that lease ends, as the store saw it (0 or more);
            a claim after then takes the key over unless the call completed first.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class KeyReusedError(ConflictError):
    """An idempotency key came with another fingerprint than the call that first claimed it.

    The key was reused for a different request: replaying the first call's result would
    answer the wrong request, and running the new one would break the key's promise.
    """


class LeaseLostError(ConflictError):
    """An idempotency claim's lease ended (or a newer claim took the key) before it completed.

    Nothing was stored: another call may be doing the same work, under its own claim.
    """


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


# What may follow the userinfo's "@": a host (name, IPv4, [IPv6], %-escapes), a port,
# then the end of the authority.
_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.%]*\]|[A-Za-z0-9.\-_~%!$'()*+,;]*)(?::[^/?#@\s]*)?(?=[/?#]|$)"
)
# Keys whose value is a secret, as a URL query parameter or a libpq keyword: any key
# ending in one of these words (sslpassword, client_secret, x-api-key, auth_token, ...).
_HIDDEN_KEYS = r"[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)"
# In a query also a signed URL's signature and credential (S3 presigned ``X-Amz-Signature``,
# ``X-Amz-Credential``; Azure SAS ``sig``) and Google's API ``key``: each is a bearer
# credential. Only as a whole name for the short ones (``monkey=`` is no key).
_QUERY_HIDDEN = rf"(?:{_HIDDEN_KEYS}|[A-Za-z0-9_.\-]*(?:signature|credential)|key|sig)"
_QUERY_SECRET = re.compile(rf"(?P<key>[?&;]{_QUERY_HIDDEN}=)[^&#;\s]*", re.IGNORECASE)
# libpq keyword/value DSN: ``host=db password='p w' sslpassword=x``; a value is a single
# quoted string (backslash escapes) or runs to the next whitespace.
_KEYWORD_SECRET = re.compile(
    rf"(?P<key>(?:^|(?<=\s)){_HIDDEN_KEYS}\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE
)


def _mask_userinfo(url: str) -> str:
    """Mask the password of every ``scheme://user:password@host`` in *url*.

    The password may hold ``@``, ``/``, ``?``, ``#`` or spaces (unescaped, as people
    write them): the userinfo ends at the *last* ``@`` that is followed by a host, so a
    doubtful case masks too much rather than too little.
    """
    starts = _scheme_ends(url)
    if not starts:
        return url
    pieces = [url[: starts[0]]]
    for index, begin in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(url)
        # The next URL's scheme is part of this segment's tail; find where it starts.
        segment = url[begin:end]
        pieces.append(_mask_authority(segment))
    return "".join(pieces)


def _scheme_ends(url: str) -> list[int]:
    """Where each ``scheme://`` of *url* ends (a letter, then letters, digits, ``+.-``).

    In O(n): a regex scanning for schemes tries every position of a long run of letters
    and reads the whole run from each (a 64 KiB URL without ``/`` took seconds to mask).
    Each ``://`` is found instead, and its scheme read back from it (the run of scheme
    characters before it, from its first letter).
    """
    ends: list[int] = []
    at = url.find("://")
    while at >= 0:
        start = at
        while start > 0 and url[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < at and url[start] not in _LETTERS:
            start += 1
        if start < at:
            ends.append(at + 3)
        at = url.find("://", at + 3)
    return ends


_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_CHARS = _LETTERS | frozenset("0123456789+.-")

_PORT_THEN_QUERY = re.compile(r":\d+(?:/[^?#@]*)?[?#][^@]*@")


def _mask_authority(segment: str) -> str:
    colon = segment.find(":")
    if colon < 0:
        return segment
    user = segment[:colon]
    if any(c in user for c in "/?#@ \t\n"):  # no "user:" here: host:port, or a path
        return segment
    at = -1
    for pos in range(len(segment) - 1, colon, -1):
        if segment[pos] == "@" and _HOST.match(segment, pos + 1):
            at = pos
            break
    if at < 0:  # no host-like text after any "@": hide up to the last one
        at = segment.rfind("@")
        if at < colon:
            return segment
    if _PORT_THEN_QUERY.match(segment, colon) and "@" not in segment[:at].split("?", 1)[0]:
        # "host:8080/path?email=a@b.com": a port, and the "@" sits in the query string.
        return segment
    return f"{user}:***{segment[at:]}"


def mask_url(url: str) -> str:
    """Return *url* with its password and secret-looking values replaced by ``***``.

    Handles URLs whose password holds ``@``, ``/`` or spaces, secret query parameters
    (``password``, ``sslpassword``, ``token``, ``*_secret``, ``api_key``, ...) and libpq
    keyword DSNs (``host=db user=app password='s3 cret'``).

    >>> mask_url("postgresql://app:s3cret@db:5432/app?sslmode=require&password=x")
    'postgresql://app:***@db:5432/app?sslmode=require&password=***'
    >>> mask_url("host=db user=app password=s3cret dbname=app")
    'host=db user=app password=*** dbname=app'
    """
    masked = _mask_userinfo(url)
    masked = _QUERY_SECRET.sub(lambda m: f"{m['key']}***", masked)
    return _KEYWORD_SECRET.sub(lambda m: f"{m['key']}***", masked)
