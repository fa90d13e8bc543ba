"""Answer ``serpens.errors`` in a FastAPI (or Starlette) app with the right HTTP status.

One line at application setup::

    from serpens.fastapi import install_exception_handlers

    app = FastAPI()
    install_exception_handlers(app)

Without it, a ``ConflictError`` from a duplicate insert reaches FastAPI as an unhandled
exception and the client gets a 500. With it:

============================  ======  ====================================================
error                         status  body (``detail`` is FastAPI's key)
============================  ======  ====================================================
``NotFoundError``             404     ``{"detail": "Not found"}``
``ConflictError``             409     ``{"detail": "Conflict"}``
``ValidationError``           422     ``{"detail": "Validation failed", "errors": [...]}``
``HTTPStatusError``           502     ``{"detail": "Bad gateway"}``
``BackendUnavailableError``   503     ``{"detail": "Service unavailable"}`` + Retry-After
``BackendTimeoutError``       504     ``{"detail": "Gateway timeout"}``
============================  ======  ====================================================

Bodies are generic on purpose: an error's own message may carry a constraint or table
name, a SQL fragment or a URL, so it is logged (on the ``serpens.fastapi`` logger) and
never sent. Only a ``ValidationError``'s field errors (``path`` and ``message``, which
describe the client's own input) reach the client. Other errors keep FastAPI's default
(500); raise ``fastapi.HTTPException`` for a message of your own.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from serpens._extras import require
from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConflictError,
    HTTPStatusError,
    NotFoundError,
    SerpensError,
    ValidationError,
)

__all__ = ["DEFAULT_RETRY_AFTER", "error_response", "install_exception_handlers"]

_responses = require("starlette.responses", "fastapi")

logger = logging.getLogger("serpens.fastapi")

DEFAULT_RETRY_AFTER = 5
"""Seconds a client is told to wait after a 503 (``Retry-After``)."""

# Most specific first: the first class the error is an instance of decides.
_STATUS: tuple[tuple[type[SerpensError], int, str], ...] = (
    (ValidationError, 422, "Validation failed"),
    (NotFoundError, 404, "Not found"),
    (ConflictError, 409, "Conflict"),
    (HTTPStatusError, 502, "Bad gateway"),
    (BackendUnavailableError, 503, "Service unavailable"),
    (BackendTimeoutError, 504, "Gateway timeout"),
)
_SERVER_ERROR = 500


class _App(Protocol):
    """What ``install_exception_handlers`` needs: FastAPI and Starlette apps both have it."""

    def add_exception_handler(self, exc_class_or_status_code: Any, handler: Any) -> None: ...


def error_response(exc: SerpensError, *, retry_after: int | None = DEFAULT_RETRY_AFTER) -> Any:
    """Return the ``JSONResponse`` for *exc* (see the module docstring for the mapping).

    Useful in a handler of your own that wraps the mapping (to add a header, say).

    Args:
        exc: a serpens error; one outside the mapping gives a generic 500.
        retry_after: seconds for the 503 ``Retry-After`` header; ``None`` sends none.
    """
    status, detail = next(
        ((status, detail) for klass, status, detail in _STATUS if isinstance(exc, klass)),
        (_SERVER_ERROR, "Internal server error"),
    )
    body: dict[str, Any] = {"detail": detail}
    if isinstance(exc, ValidationError):
        body["errors"] = [{"path": e.path, "message": e.message} for e in exc.errors]
    headers: dict[str, str] = {}
    if status == 503 and retry_after is not None:  # noqa: PLR2004 - Service Unavailable
        headers["Retry-After"] = str(retry_after)
    return _responses.JSONResponse(body, status_code=status, headers=headers)


def install_exception_handlers(app: _App, *, retry_after: int | None = DEFAULT_RETRY_AFTER) -> None:
    """Register one exception handler per mapped serpens error on *app*.

    Call it once where the app is built. Handlers registered later for the same classes
    (``app.add_exception_handler`` or ``@app.exception_handler``) replace these.

    Args:
        app: a ``fastapi.FastAPI`` or ``starlette.applications.Starlette`` instance.
        retry_after: seconds for the 503 ``Retry-After`` header; ``None`` sends none.
    """

    async def handle(_request: Any, exc: Exception) -> Any:  # async: run on the event loop
        return _respond(exc, retry_after)

    for klass, _, _ in _STATUS:
        app.add_exception_handler(klass, handle)


def _respond(exc: Exception, retry_after: int | None) -> Any:
    if not isinstance(exc, SerpensError):  # pragma: no cover - registered for serpens errors
        raise exc
    response = error_response(exc, retry_after=retry_after)
    if response.status_code >= _SERVER_ERROR:
        logger.warning("request failed with %s: %s", type(exc).__name__, exc, exc_info=exc)
    else:
        logger.info("request answered %d: %s: %s", response.status_code, type(exc).__name__, exc)
    return response
