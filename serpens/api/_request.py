"""The request side of :mod:`serpens.api`: event parsing for REST v1, HTTP API v2 and ALB."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, Self, TypeVar, overload
from urllib.parse import parse_qs, unquote_plus

from serpens.api._bodies import load_body
from serpens.api._errors import HTTPError

__all__ = ["AttrDict", "Headers", "MissingKeyError", "Request", "Source"]

Source = Literal["rest", "http", "alb"]
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


def _wrap(value: Any) -> Any:
    if type(value) is dict:
        return AttrDict(value)
    if type(value) is list:
        return [_wrap(v) for v in value]
    return value


class MissingKeyError(KeyError, AttributeError):
    """A key an :class:`AttrDict` does not hold, read as ``d["x"]`` or ``d.x``.

    Both a ``KeyError`` (dict-style ``except KeyError``) and an ``AttributeError``: serpens
    2.9's ``AttrDict`` was a plain object, so ``except AttributeError``,
    ``getattr(d, "x", None)`` and ``hasattr`` must keep working whichever way it is read.
    """


class AttrDict(dict[str, Any]):
    """A ``dict`` whose keys are also attributes: ``request.path.user_id``.

    Nested dicts (also inside lists) are ``AttrDict`` too. A missing key, read as
    ``d["x"]`` or ``d.x``, raises :class:`MissingKeyError`, both a ``KeyError`` and an
    ``AttributeError``, so ``getattr(d, "x", None)`` and ``hasattr`` work. Setting or
    deleting an attribute sets or deletes the item, and ``vars(d)`` is a plain ``dict``
    copy of the items, as with serpens 2.9's plain-object ``AttrDict``. Keys that collide
    with ``dict`` methods (``get``, ``items``, ...) are reachable by item access only.
    """

    # No instance __dict__: every attribute is an item, and building one per request
    # stays as cheap as building the dict.
    __slots__ = ()

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        if not data:
            super().__init__()
            return
        super().__init__(data)
        for key, value in data.items():
            if type(value) is dict or type(value) is list:
                dict.__setitem__(self, key, _wrap(value))

    def __missing__(self, key: str) -> Any:
        # Called by dict's own __getitem__ on a miss only: a hit stays a C lookup.
        raise MissingKeyError(key)

    def __getattr__(self, name: str) -> Any:
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __delitem__(self, key: str) -> None:
        try:
            dict.__delitem__(self, key)
        except KeyError:
            raise MissingKeyError(key) from None

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        """A plain ``dict`` copy of the items: ``vars(request.query)`` as in serpens 2.9."""
        return dict(self)


class Headers(AttrDict):
    """Case-insensitive header mapping; keys are stored lower-cased.

    ``headers["Content-Type"]``, ``headers.get("content-type")`` and
    ``headers.content_type`` (underscores stand for hyphens) all find the same header;
    every write (``headers["X-Trace"] = "1"``, ``update``, ``setdefault``, ``pop``, ``del``,
    ``headers.x_trace = "1"``) lower-cases the name too.
    """

    __slots__ = ()

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__({k.lower(): v for k, v in data.items()} if data else None)

    def __getitem__(self, name: str) -> Any:
        return dict.__getitem__(self, name.lower())

    def __setitem__(self, name: str, value: Any) -> None:
        dict.__setitem__(self, name.lower(), value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case) or *default*."""
        return dict.get(self, name.lower(), default)

    def pop(self, name: str, /, *default: Any) -> Any:
        """Remove the header *name* (any case) and return its value (or *default*)."""
        return dict.pop(self, name.lower(), *default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return the header *name* (any case), first setting it to *default* if absent."""
        return dict.setdefault(self, name.lower(), default)

    def update(self, other: Any = (), /, **more: Any) -> None:
        """Set every header of *other* (a mapping or ``(name, value)`` pairs) and *more*."""
        # dict.update's rule: an object with keys() is a mapping, anything else pairs.
        pairs = ((k, other[k]) for k in other.keys()) if hasattr(other, "keys") else other  # noqa: SIM118
        for name, value in pairs:
            dict.__setitem__(self, name.lower(), value)
        for name, value in more.items():
            dict.__setitem__(self, name.lower(), value)

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def _attribute_key(self, name: str) -> str:
        """The key ``headers.<name>`` stands for: the name itself, else with hyphens."""
        key = name.lower()
        if dict.__contains__(self, key):
            return key
        return key.replace("_", "-")

    def __getattr__(self, name: str) -> Any:
        key = name.lower()  # _attribute_key inlined: this is the hot one
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        try:
            return dict.__getitem__(self, key.replace("_", "-"))
        except KeyError:
            raise MissingKeyError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        dict.__setitem__(self, self._attribute_key(name), value)

    def __delattr__(self, name: str) -> None:
        try:
            dict.__delitem__(self, self._attribute_key(name))
        except KeyError:
            raise MissingKeyError(name) from None


def _detect(event: Mapping[str, Any]) -> Source:
    if event.get("version") == "2.0":
        return "http"
    context = event.get("requestContext")
    if (type(context) is dict or isinstance(context, Mapping)) and "elb" in context:
        return "alb"
    return "rest"


def _multi(values: Mapping[str, Any] | None, *, unquote: bool = False) -> dict[str, list[str]]:
    if not values:
        return {}
    if unquote:
        return {unquote_plus(k): [unquote_plus(v) for v in vs] for k, vs in values.items()}
    return {k: list(vs) for k, vs in values.items()}


_JSON_MIME = "application/json"

# Event keys whose value, when present, must be an object: anything else is not an
# API Gateway/ALB event and is answered 400 instead of failing inside an accessor.
_OBJECT_KEYS = (
    "requestContext",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
)


def _check_shape(event: Mapping[str, Any]) -> None:
    for key in _OBJECT_KEYS:
        value = event.get(key)
        if value is not None and type(value) is not dict and not isinstance(value, Mapping):
            raise HTTPError(400, "Unsupported event")


_MALFORMED_HEADERS = "Unsupported event: header names and values must be strings"


def _text_headers(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """*values* when every name and value is a string, else a 400.

    API Gateway and ALB always send header values as strings; anything else (a number, a
    list) is not their event, and guessing a string for it could change what a check
    (an allow-listed Origin, a cookie) decides.
    """
    for name, value in values.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise HTTPError(400, _MALFORMED_HEADERS)
    return values


def _text_multi_headers(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """*values* when every name is a string and every value a list of strings, else a 400."""
    for name, value in values.items():
        if not isinstance(name, str) or type(value) is not list:
            raise HTTPError(400, _MALFORMED_HEADERS)
        for item in value:
            if not isinstance(item, str):
                raise HTTPError(400, _MALFORMED_HEADERS)
    return values


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
