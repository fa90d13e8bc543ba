"""Typed HTTP errors a handler raises to choose its error response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serpens.errors import SerpensError

__all__ = ["HTTPError"]

_MIN_STATUS = 400
_MAX_STATUS = 599


class HTTPError(SerpensError):
    """Raise from a handler to answer with *status* and ``{"message": message}``.

    The message is sent to the client as is, so put nothing secret in it. ``code`` (a
    stable machine-readable string) and ``details`` (any JSON value) are added to the body
    when given; ``headers`` are added to the response.

    Example::

        raise api.HTTPError(403, "Not your order", code="forbidden")
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not _MIN_STATUS <= status <= _MAX_STATUS:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body sent to the client."""
        body: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
        if self.details is not None:
            body["details"] = self.details
        return body
