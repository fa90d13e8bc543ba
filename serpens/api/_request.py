"""The request side of :mod:`serpens.api`: event parsing for REST v1, HTTP API v2 and ALB.

The mappings it returns are in :mod:`serpens.api._attrdict` and the checks of the event's
shape in :mod:`serpens.api._event_shape`; both are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, Self, TypeVar, overload
from urllib.parse import parse_qs, unquote_plus

from serpens.api._attrdict import AttrDict, Headers, MissingKeyError
from serpens.api._bodies import load_body
from serpens.api._errors import HTTPError
from serpens.api._event_shape import (
    Source,
    _check_shape,
    _detect,
    _multi,
    _text_headers,
    _text_multi_headers,
)

__all__ = ["AttrDict", "Headers", "MissingKeyError", "Request", "Source"]

T = TypeVar("T")


class _lazy(Generic[T]):  # noqa: N801 - used like functools.cached_property
    """``cached_property`` without its 3.11 lock: the value lands in the instance dict."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self._func = func
        self._name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object, owner: type) -> T | Self:
        if instance is None:
            return self
        value = self._func(instance)
        instance.__dict__[self._name] = value
        return value


_JSON_MIME = "application/json"


class Request:
    """One API request, whatever the event source (API Gateway REST, HTTP API, ALB).

    Attributes are parsed on first access. ``path``, ``query``, ``headers``, ``identity``
    and ``authorizer`` are :class:`AttrDict` (``headers`` case-insensitive). ``body`` is
    the JSON-decoded body when it is JSON, else the text (bytes when a base64 body is not
    UTF-8), ``""`` when absent. A body declared ``application/json`` that does not parse
    raises a 400 ``HTTPError`` when first read.
    """

    def __init__(self, event: Mapping[str, Any], context: Any = None) -> None:
        if type(event) is not dict and not isinstance(event, Mapping):
            raise HTTPError(400, "Unsupported event")
        _check_shape(event)
        self.data = event
        """The raw Lambda event."""
        self.context = context
        """The Lambda context object passed by the runtime (``None`` when invoked directly)."""
        self.source: Source = _detect(event)
        """Which integration sent the event: ``"rest"``, ``"http"`` or ``"alb"``."""

    @property
    def event(self) -> Mapping[str, Any]:
        """The raw Lambda event (alias of ``data``)."""
        return self.data

    @_lazy
    def _context(self) -> Mapping[str, Any]:
        return self.data.get("requestContext") or {}

    @_lazy
    def method(self) -> str:
        """The HTTP method, upper-case."""
        if self.source == "http":
            return str(self._context.get("http", {}).get("method", "")).upper()
        return str(self.data.get("httpMethod", "")).upper()

    @_lazy
    def raw_path(self) -> str:
        """The request path as the client sent it (without the query string)."""
        return str(self.data.get("rawPath" if self.source == "http" else "path") or "")

    @_lazy
    def request_id(self) -> str | None:
        """The API Gateway request id, else the Lambda request id."""
        rid = self._context.get("requestId") or getattr(self.context, "aws_request_id", None)
        return str(rid) if rid else None

    @_lazy
    def headers(self) -> Headers:
        """Request headers, case-insensitive (repeated headers: the last value, or joined)."""
        single = self.data.get("headers")
        if single is None and self.data.get("multiValueHeaders"):
            multi = _text_multi_headers(self.data["multiValueHeaders"])
            return Headers({k: v[-1] for k, v in multi.items() if v})
        return Headers(_text_headers(single) if single else None)

    @_lazy
    def multi_headers(self) -> Headers:
        """Every value of every header, as lists.

        HTTP APIs join repeated headers with commas, so there the values are split on commas.
        """
        multi = self.data.get("multiValueHeaders")
        if multi:
            return Headers(_multi(_text_multi_headers(multi)))
        if self.source == "http":
            return Headers(
                {k: [p.strip() for p in str(v).split(",")] for k, v in self.headers.items()}
            )
        return Headers({k: [v] for k, v in self.headers.items()})

    @_lazy
    def query(self) -> AttrDict:
        """Query-string parameters, as the integration sends them (as serpens 2.9 read them).

        A repeated parameter (``?tag=a&tag=b``) is ``"a,b"`` from an HTTP API (payload v2
        joins the values with commas) and ``"b"`` from a REST API or an ALB target (they
        send the last value); :attr:`multi_query` has every value as a list.
        """
        single = self.data.get("queryStringParameters")
        if single is None:  # a multi-value ALB target, or a hand-built event
            if self.source == "http":
                return AttrDict({k: ",".join(v) for k, v in self.multi_query.items()})
            return AttrDict({k: v[-1] for k, v in self.multi_query.items() if v})
        if self.source == "alb":  # ALB passes parameters still URL-encoded
            return AttrDict({unquote_plus(k): unquote_plus(v) for k, v in single.items()})
        return AttrDict(single)

    @_lazy
    def multi_query(self) -> AttrDict:
        """Every value of every query-string parameter, as lists."""
        if self.source == "http":
            raw = self.data.get("rawQueryString") or ""
            return AttrDict(parse_qs(raw, keep_blank_values=True))
        multi = self.data.get("multiValueQueryStringParameters")
        if multi:
            return AttrDict(_multi(multi, unquote=self.source == "alb"))
        single = self.data.get("queryStringParameters") or {}
        return AttrDict({k: [v] for k, v in single.items()})

    @_lazy
    def cookies(self) -> AttrDict:
        """Request cookies by name (HTTP API's ``cookies`` list, else the Cookie header)."""
        pairs = self.data.get("cookies") if self.source == "http" else None
        if pairs is not None and (
            type(pairs) is not list or not all(isinstance(p, str) for p in pairs)
        ):
            raise HTTPError(400, "Unsupported event: 'cookies' must be a list of strings")
        if pairs is None:
            header = self.headers.get("cookie") or ""
            pairs = header.split(";")
        jar: dict[str, str] = {}
        for pair in pairs:
            name, sep, value = pair.strip().partition("=")
            if sep and name:
                jar[name] = value
        return AttrDict(jar)

    @_lazy
    def path(self) -> AttrDict:
        """Path parameters: ``request.path.user_id`` for a ``/users/{user_id}`` route."""
        return AttrDict(self.data.get("pathParameters"))

    @_lazy
    def authorizer(self) -> AttrDict:
        """The authorizer context (Cognito claims, JWT claims, Lambda authorizer output)."""
        return AttrDict(self._context.get("authorizer"))

    @_lazy
    def identity(self) -> AttrDict:
        """Caller identity: REST's ``requestContext.identity``; HTTP API's source IP/agent."""
        if self.source == "http":
            http = self._context.get("http") or {}
            return AttrDict({"sourceIp": http.get("sourceIp"), "userAgent": http.get("userAgent")})
        return AttrDict(self._context.get("identity"))

    @_lazy
    def raw_body(self) -> str | bytes:
        """The body with base64 removed: text when it is UTF-8, else bytes; ``""`` if absent."""
        raw = self.data.get("body")
        if raw is None:
            return ""
        if not isinstance(raw, str | bytes):
            return json.dumps(raw)
        if not self.data.get("isBase64Encoded"):
            return raw
        try:
            decoded = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise HTTPError(400, "Malformed base64 body") from None
        try:
            return decoded.decode("utf-8")
        except UnicodeDecodeError:
            return decoded

    @_lazy
    def body(self) -> Any:
        """The parsed body (see the class docstring)."""
        raw = self.data.get("body")
        if isinstance(raw, dict | list):  # direct invocation with a structured body
            return raw
        text = self.raw_body
        if not text or isinstance(text, bytes):
            return text
        try:
            return json.loads(text)
        except RecursionError:
            raise HTTPError(400, "JSON body nested too deeply") from None
        except ValueError:
            mime = str(self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
            if mime == _JSON_MIME or mime.endswith("+json"):
                raise HTTPError(400, "Malformed JSON body") from None
            return text

    def body_as(self, model: type[T]) -> T:
        """The body validated into *model*: a ``Schema`` dataclass or a pydantic model.

        ``request.body_as(NewUser)`` is ``NewUser.load(request.body)`` for a Schema and
        ``NewUser.model_validate(request.body)`` for a pydantic model, with one error type
        for both, so a handler answers a bad body with the same 422 whichever it uses.

        Raises:
            ValidationError: the body does not match *model* (422 in a handler); for a
                pydantic model the pydantic error is chained as ``__cause__``.
            HTTPError: the body is declared JSON and does not parse (400).
            TypeError: *model* is neither a Schema class nor a pydantic model class.
        """
        return load_body(model, self.body)
