"""The response side of :mod:`serpens.api`: one builder and one error contract.

Both ``api.handler`` and ``api.async_handler`` end in :func:`build_response` or
:func:`error_response`, so a sync and an async handler answer the same input with the
same bytes. Every response, errors included, carries the CORS header and a JSON
``Content-Type``; keys come in the original order ``statusCode``, ``body``, ``headers``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from serpens import _apm, _tracing
from serpens._config import env_str
from serpens._json import dumps
from serpens.api._errors import HTTPError
from serpens.api._request import Request
from serpens.errors import (
    ConflictError,
    HTTPStatusError,
    NotFoundError,
    SerializationError,
    ValidationError,
)

__all__ = [
    "Cors",
    "Response",
    "build_response",
    "error_response",
    "is_preflight",
    "preflight_response",
]

logger = logging.getLogger("serpens.api")
logger.addFilter(_tracing.LOG_FIELDS)

JSON = "application/json"
_BINARY = "application/octet-stream"
_INTERNAL = "Internal server error"
_MIN_STATUS = 100
_MAX_STATUS = 599
_ORIGIN = "Access-Control-Allow-Origin"
_CAPTURE_BODY = frozenset({"all", "transaction", "transactions"})  # elasticapm: "transaction"


class Response:
    """An explicit response: status, body (encoded like a plain return value) and headers.

    ``statusCode=`` is accepted as the original spelling of ``status_code=``. As in
    serpens 2.9, ``headers`` starts with ``Access-Control-Allow-Origin: *`` unless the
    caller set that header; the handler's ``cors_origins`` still decides what is sent
    (the default ``*`` is replaced by the handler's CORS policy). ``cookies``
    are ``Set-Cookie`` values: HTTP APIs get them in ``cookies``, REST APIs and ALB targets
    in multi-value mode as several ``Set-Cookie`` headers; an ALB target without
    multi-value mode can only send the last one. ``status_code`` (or ``statusCode``),
    ``body``, ``headers`` and ``cookies`` can be assigned after construction, with the
    same meaning as passing them to the constructor (serpens 2.9's were plain attributes).
    """

    __slots__ = ("_default_origin", "_headers", "body", "cookies", "status_code")

    def __init__(
        self,
        status_code: int = 200,
        body: Any = "",
        headers: Mapping[str, str] | None = None,
        *,
        statusCode: int | None = None,  # noqa: N803 - the original keyword
        cookies: Sequence[str] = (),
    ) -> None:
        self.status_code = status_code if statusCode is None else statusCode
        self.body = body
        self.headers = headers
        self.cookies = list(cookies)

    @property
    def headers(self) -> dict[str, str]:
        """The response headers (a dict you may change in place)."""
        return self._headers

    @headers.setter
    def headers(self, headers: Mapping[str, str] | None) -> None:
        given = dict(headers or {})
        self._default_origin = not any(key.lower() == _ORIGIN.lower() for key in given)
        self._headers = {_ORIGIN: "*", **given} if self._default_origin else given

    def _own_headers(self) -> dict[str, str]:
        """The headers to merge: without the default CORS header the constructor added."""
        if self._default_origin and self._headers.get(_ORIGIN) == "*":
            return {k: v for k, v in self._headers.items() if k != _ORIGIN}
        return self._headers

    @property
    def statusCode(self) -> int:  # noqa: N802 - the original attribute name
        """The status code (original spelling of ``status_code``)."""
        return self.status_code

    @statusCode.setter
    def statusCode(self, status: int) -> None:  # noqa: N802 - the original attribute name
        self.status_code = status

    def to_dict(self) -> dict[str, Any]:
        """Return a new Lambda proxy response dict (REST shape, ``*`` CORS)."""
        return build_response(self, None, Cors("*"))

    def __repr__(self) -> str:
        return f"Response(status_code={self.status_code!r}, body={self.body!r})"


class Cors:
    """Which ``Access-Control-Allow-Origin`` to send: ``"*"``, an allow-list, or none."""

    __slots__ = ("_allowed", "_static")

    def __init__(self, origins: str | Sequence[str] | None) -> None:
        self._static: dict[str, str] | None = None
        self._allowed: frozenset[str] = frozenset()
        if origins is None:
            self._static = {}
        elif isinstance(origins, str):
            self._static = {"Access-Control-Allow-Origin": origins}
        else:
            self._allowed = frozenset(origins)

    @property
    def enabled(self) -> bool:
        """Whether any CORS header is sent (``cors_origins`` was not ``None``)."""
        return self._static != {}

    def headers(self, request: Request | None) -> dict[str, str]:
        """Headers for one response; an allow-listed origin is echoed with ``Vary: Origin``."""
        if self._static is not None:
            return dict(self._static)
        origin = request.headers.get("origin") if request is not None else None
        if origin in self._allowed:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}


def _encode(body: Any) -> tuple[str, bool, str]:
    """Return ``(text, is_base64, default content type)`` for a handler's body."""
    kind = type(body)
    if kind is dict or kind is list:
        return dumps(body), False, JSON
    if isinstance(body, str):
        return body, False, JSON
    if body is None:
        return "", False, JSON
    if isinstance(body, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(body)).decode("ascii"), True, _BINARY
    return dumps(body), False, JSON


def _split(result: Any) -> tuple[int, Any, Mapping[str, str] | None]:
    if isinstance(result, Response):
        return result.status_code, result.body, result._own_headers()  # noqa: SLF001
    if type(result) is tuple and result:
        status = result[0]
        if isinstance(status, int) and not isinstance(status, bool):
            if not 2 <= len(result) <= 3:  # noqa: PLR2004 - (status, body[, headers])
                # (404,) or a 4-tuple: a slip in the handler, not a body (2.9.0 failed too).
                raise TypeError(
                    f"handler returned a {len(result)}-item tuple starting with a status; "
                    "return (status, body) or (status, body, headers), or a list for an array"
                )
            return status, result[1], result[2] if len(result) == 3 else None  # noqa: PLR2004
    return 200, result, None


def _shape(
    status: int,
    text: str,
    headers: dict[str, str],
    request: Request | None,
    *,
    base64_body: bool = False,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status, "body": text, "headers": headers}
    if base64_body:
        response["isBase64Encoded"] = True
    source = "rest" if request is None else request.source
    if source == "alb":
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        response["statusDescription"] = f"{status} {phrase}".strip()
        response.setdefault("isBase64Encoded", False)
        if request is not None and "multiValueHeaders" in request.data:  # multi-value mode
            multi = {k: [v] for k, v in response.pop("headers").items()}
            if cookies:
                multi["Set-Cookie"] = cookies
            response["multiValueHeaders"] = multi
        elif cookies:
            headers["Set-Cookie"] = cookies[-1]
    elif cookies and source == "http":
        response["cookies"] = cookies
    elif cookies:
        response["multiValueHeaders"] = {"Set-Cookie": cookies}
    return response


def build_response(result: Any, request: Request | None, cors: Cors) -> dict[str, Any]:
    """Turn a handler's return value into a Lambda proxy response.

    Raises:
        SerializationError: the body has no JSON form.
        ValueError: the status is not a valid HTTP status.
        TypeError: a tuple starts with a status but is not ``(status, body[, headers])``.
    """
    status, body, extra = _split(result)
    if not _MIN_STATUS <= status <= _MAX_STATUS:
        raise ValueError(f"handler returned invalid HTTP status {status}")
    text, base64_body, content_type = _encode(body)
    headers = cors.headers(request)
    headers["Content-Type"] = content_type
    if extra:
        for key, value in extra.items():
            if key.lower() == "content-type":
                headers["Content-Type"] = str(value)
            else:
                headers[key] = str(value)
    cookies = result.cookies if isinstance(result, Response) else None
    capture_body(text)
    return _shape(status, text, headers, request, base64_body=base64_body, cookies=cookies)


def capture_body(text: str) -> None:
    """Put the response body in the current elastic-apm transaction's custom context.

    As serpens 2.9 did, only when the application configured a client that captures
    bodies (``ELASTIC_APM_CAPTURE_BODY`` / ``capture_body`` is ``all`` or
    ``transactions``); the body lands under ``response_body``. A failing APM client is
    logged and never changes the response.
    """
    try:
        configured = _apm.configured_client()
        if configured is None:
            return
        apm, client = configured
        mode = getattr(client.config, "capture_body", None) or env_str(
            "ELASTIC_APM_CAPTURE_BODY", "off"
        )
        if str(mode).lower() in _CAPTURE_BODY:
            apm.set_custom_context({"response_body": text})
    except Exception:
        logger.warning("elastic-apm failed to capture the response body", exc_info=True)


_PREFLIGHT_MAX_AGE = "600"


def is_preflight(request: Request, cors: Cors) -> bool:
    """An ``OPTIONS`` request carrying ``Access-Control-Request-Method``, with CORS enabled."""
    return (
        cors.enabled
        and request.method == "OPTIONS"
        and "access-control-request-method" in request.headers
    )


def preflight_response(request: Request, cors: Cors) -> dict[str, Any]:
    """Answer a CORS preflight with 204 without calling the handler."""
    headers = cors.headers(request)
    headers["Content-Type"] = JSON
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = str(
            request.headers.get("access-control-request-method")
        )
        headers["Access-Control-Allow-Headers"] = str(
            request.headers.get("access-control-request-headers") or "*"
        )
        headers["Access-Control-Max-Age"] = _PREFLIGHT_MAX_AGE
    return _shape(204, "", headers, request)


def _classify(exc: Exception, request_id: str | None) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, HTTPError):
        return exc.status, exc.body()
    if isinstance(exc, ValidationError):
        # Generic on purpose, as in serpens.fastapi: a ValidationError's own text can come
        # from the database (serpens_sqlalchemy maps not-null and check violations to it:
        # "NOT NULL constraint failed: users.email"); only the field errors, which describe
        # the client's input, are sent.
        errors = [{"path": e.path, "message": e.message} for e in exc.errors]
        return 422, {"message": "Validation failed", "errors": errors}
    if isinstance(exc, NotFoundError):
        return 404, {"message": str(exc) or "Not found"}
    if isinstance(exc, ConflictError):
        # Its text comes from the database (constraint, table, column names): logged, not sent.
        return 409, {"message": "Conflict"}
    body: dict[str, Any] = {
        "message": "Bad gateway" if isinstance(exc, HTTPStatusError) else _INTERNAL
    }
    if request_id:
        body["request_id"] = request_id
    return (502 if isinstance(exc, HTTPStatusError) else 500), body


def error_response(exc: Exception, request: Request | None, cors: Cors) -> dict[str, Any]:
    """Turn an exception into the error response; log it and capture it in elastic-apm.

    4xx bodies carry the error's own message; 5xx bodies a generic one (and the request id),
    never the exception text or a traceback.
    """
    try:
        request_id = request.request_id if request is not None else None
        headers = cors.headers(request)
    except (AttributeError, KeyError, TypeError, ValueError, HTTPError):
        # A malformed event (a header that is not text, ...): still answer.
        request_id, headers = None, cors.headers(None)
    status, body = _classify(exc, request_id)
    if status >= 500:  # noqa: PLR2004
        logger.error("handler failed with %s", type(exc).__name__, exc_info=exc)
    elif isinstance(exc, ConflictError):  # the detail the 409 body leaves out
        logger.info("handler answered 409: %s", exc)
    else:
        logger.info("handler answered %d: %s", status, type(exc).__name__)
    _apm.capture_failure(exc, handled=status < 500, http_status=status)  # noqa: PLR2004
    headers["Content-Type"] = JSON
    if isinstance(exc, HTTPError):
        headers.update(exc.headers)
    try:
        text = dumps(body)
    except SerializationError:  # an HTTPError's details that do not encode
        text = dumps({"message": body.get("message", _INTERNAL)})
    return _shape(status, text, headers, request)
