"""The rules every ``HttpClient`` implementation shares: request checks and verb shortcuts.

The adapter (``serpens_httpx.HttpxHttpClient``) and the fake
(``serpens.fakes.InMemoryHttpClient``) both turn a caller's arguments into what goes on
the wire with :func:`check_request`, :func:`request_timeout` and :func:`request_body`, so
they accept, refuse and send exactly the same things; they implement only ``request``, and
``get``, ``post``, ``put`` and ``delete`` come from :class:`HttpVerbs` so their signatures
stay identical to the port's.
"""

from __future__ import annotations

import json as jsonlib
import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from serpens._rules.text import has_utf8
from serpens.errors import BackendTimeoutError, FieldError, SerializationError, ValidationError
from serpens.ports._http import Headers, HttpResponse, Params

__all__ = [
    "HttpVerbs",
    "Outgoing",
    "check_body",
    "check_request",
    "check_timeout",
    "compact_json",
    "query_text",
    "request_body",
    "request_timeout",
]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110's token: what a method or a header name is made of."""
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?")
"""What httpx sends as a header value: ASCII (it encodes ``str`` values as ASCII), with
no control character but tab (a CR or LF would split the header), and no space or tab
first or last (RFC 9110's field-value; h11 refuses all of these before sending)."""
_DIGITS = re.compile(r"[0-9]+")
_NO_UTF8 = "no UTF-8 form (a lone surrogate)"
_QUERY_VALUE = "a str, int, float, bool or None, or a list or tuple of them"


@dataclass(frozen=True)
class Outgoing:
    """A request's caller-given parts, checked and in the form every implementation sends.

    Attributes:
        headers: the caller's headers as ``(name, value)`` text pairs, in the given order
            (``bytes`` names and values read as ASCII).
        query: ``params`` as ``(name, value)`` pairs (a list value repeats its name), or
            ``None`` when no ``params`` were given (the URL's own query is then sent).
        content: ``content=`` as bytes (a ``str`` encoded as UTF-8), or ``None``.
    """

    headers: list[tuple[str, str]]
    query: tuple[tuple[str, str], ...] | None
    content: bytes | None


def check_request(
    method: object, headers: object, params: object, content: object, json: object
) -> Outgoing:
    """Refuse, before any I/O, a request no HTTP/1.1 client may send as given.

    A method or a header name that is not an RFC 9110 token; a header value that is not a
    ``str`` or ``bytes``, holds a character other than tab and printable ASCII (a CR or LF
    would inject a header; httpx encodes values as ASCII) or starts or ends with a space
    or tab; a ``params`` name that is not a ``str``, a value not ``str``, ``int``,
    ``float``, ``bool`` or ``None`` (or a list or tuple of them), or query text with no
    UTF-8 form (a lone surrogate); ``content=`` and ``json=`` together; a ``content``
    that is not ``bytes``, ``bytearray``, ``memoryview`` or ``str`` (or a ``str`` with no
    UTF-8 form). httpx failed on these with its ``LocalProtocolError`` (which read as an
    unreachable server), a bare ``TypeError``, ``UnicodeEncodeError`` or
    ``RuntimeError``, or sent a list's repr; the fake sent them or crashed.

    Raises:
        ValidationError: naming ``method``, ``headers``, ``headers[name]``, ``params``,
            ``params[name]`` or ``content``.
    """
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise _invalid("invalid HTTP method", "method", f"not an HTTP token: {method!r}")
    pairs = _header_pairs(headers)
    query = _query_pairs(params)
    return Outgoing(pairs, query, check_body(content, json))


def _header_pairs(headers: object) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if not isinstance(headers, Mapping):
        detail = f"a mapping of names to values, not {type(headers).__name__}"
        raise _invalid("invalid headers", "headers", detail)
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        text = _text(name)
        if text is None or not _TOKEN.fullmatch(text):
            raise _invalid("invalid header", "headers", f"not an HTTP token: {name!r}")
        field = _text(value)
        if field is None:
            detail = f"a value is a str or bytes, not {type(value).__name__}"
            raise _invalid("invalid header", f"headers[{name!r}]", detail)
        if not _FIELD_VALUE.fullmatch(field):
            raise _invalid(
                "invalid header",
                f"headers[{name!r}]",
                "a value is tab and printable ASCII only (no CR, LF or other control"
                " character; encode other text, e.g. RFC 8187 or base64)",
            )
        pairs.append((text, field))
    return pairs


def _text(value: object) -> str | None:
    """A header name or value as text (``bytes`` read as Latin-1, then checked), else None."""
    if isinstance(value, str):
        return value
    return value.decode("latin-1") if isinstance(value, bytes) else None


def query_text(value: str | float | bool | None) -> str:
    """A ``params`` value as httpx writes it: ``true``/``false``, ``None`` as empty."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _query_pairs(params: object) -> tuple[tuple[str, str], ...] | None:
    if params is None:
        return None
    if not isinstance(params, Mapping):
        detail = f"a mapping of names to values, not {type(params).__name__}"
        raise _invalid("invalid query parameters", "params", detail)
    pairs: list[tuple[str, str]] = []
    for key, given in params.items():
        where = f"params[{key!r}]"
        if not isinstance(key, str):
            detail = f"a name is a str, not {type(key).__name__}"
            raise _invalid("invalid query parameter", where, detail)
        if not has_utf8(key):
            raise _invalid("invalid query parameter", where, _NO_UTF8)
        values = list(given) if isinstance(given, list | tuple) else [given]
        for value in values:
            if value is not None and not isinstance(value, str | int | float):
                raise _invalid("invalid query parameter", where, f"a value is {_QUERY_VALUE}")
            try:
                text = query_text(value)
            except ValueError as exc:  # an int past Python's 4300-digit str() limit
                raise _invalid("invalid query parameter", where, str(exc)) from exc
            if not has_utf8(text):
                raise _invalid("invalid query parameter", where, _NO_UTF8)
            pairs.append((key, text))
    return tuple(pairs)


def check_body(content: object, json: object) -> bytes | None:
    """``content=`` as the bytes sent: as given, a buffer's bytes, a ``str`` as UTF-8.

    ``content=`` and ``json=`` together are refused: which one to send is ambiguous
    (httpx sent ``content`` and dropped ``json``, the fake the reverse).

    Raises:
        ValidationError: naming ``content``: both given, a type other than ``bytes``,
            ``bytearray``, ``memoryview`` or ``str``, or a ``str`` with no UTF-8 form.
    """
    if content is not None and json is not None:
        raise _invalid("ambiguous request body", "content", "give content= or json=, not both")
    if content is None or isinstance(content, bytes):
        return content
    if isinstance(content, str):
        if not has_utf8(content):
            detail = "a str body is sent as UTF-8; this one has none (a lone surrogate)"
            raise _invalid("invalid request body", "content", detail)
        return content.encode("utf-8")
    if isinstance(content, bytearray | memoryview):
        try:
            return bytes(content)
        except ValueError as exc:  # a released memoryview
            raise _invalid("invalid request body", "content", str(exc)) from exc
    detail = f"bytes, bytearray, memoryview or str, not {type(content).__name__}"
    raise _invalid("invalid request body", "content", detail)


def request_body(outgoing: Outgoing, json: object) -> bytes | None:
    """The body to send (``json=`` as :func:`compact_json`), checked against Content-Length.

    A caller's ``Content-Length`` replaces the one computed from the body, so it must be
    given once and be the body's length in bytes (decimal digits): another value would
    make the server read a truncated body or wait for bytes that never come (h11 refuses
    the request mid-send, which read as an unreachable server).

    Raises:
        SerializationError: *json* is not JSON.
        ValidationError: naming ``headers[name]`` for a wrong or repeated Content-Length.
    """
    body = compact_json(json) if json is not None else outgoing.content
    size = str(len(body or b""))
    given = [(k, v) for k, v in outgoing.headers if k.lower() == "content-length"]
    for name, value in given:
        where = f"headers[{name!r}]"
        if len(given) > 1:
            raise _invalid("invalid header", where, "give Content-Length once")
        if not _DIGITS.fullmatch(value) or (value.lstrip("0") or "0") != size:
            detail = f"Content-Length must be the body's length ({size} bytes)"
            raise _invalid("invalid header", where, detail)
    return body


def request_timeout(seconds: object) -> float | None:
    """A request's ``timeout=`` as seconds: ``None`` (the client's default) or a number.

    ``math.inf`` means no deadline for this request; zero or less is left to
    :func:`check_timeout` (a deadline already passed).

    Raises:
        ValidationError: *seconds* is not an ``int`` or ``float`` (a ``bool`` or a
            ``str`` is a mistake, which httpx failed on with a bare ``ValueError``), or NaN.
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        detail = f"seconds as an int or float, not {type(seconds).__name__}"
        raise _invalid("invalid timeout", "timeout", detail)
    try:
        value = float(seconds)
    except OverflowError:  # an int beyond float's range
        value = -math.inf if seconds < 0 else math.inf
    if math.isnan(value):
        raise _invalid("invalid timeout", "timeout", "not a number of seconds: nan")
    return value


def check_timeout(seconds: float | None, where: Callable[[], str]) -> None:
    """Refuse a request whose deadline (*seconds*, ``None`` for none) cannot be met.

    Zero or less means the deadline has already passed (a remaining budget used up):
    :class:`BackendTimeoutError`, before any I/O, as httpx's zero timeouts fail at once.
    NaN is no duration at all. *where* builds the masked ``METHOD url`` on demand.

    Raises:
        BackendTimeoutError: *seconds* is zero or negative.
        ValidationError: *seconds* is NaN.
    """
    if seconds is None:
        return
    if math.isnan(seconds):
        raise _invalid("invalid timeout", "timeout", "not a number of seconds: nan")
    if seconds <= 0:
        raise BackendTimeoutError(f"{where()} timed out: its timeout ({seconds:g} s) is not > 0")


def compact_json(value: Any) -> bytes:
    """The request body httpx sends for ``json=``: compact UTF-8 JSON, NaN refused.

    Raises:
        SerializationError: *value* is not JSON (a set, NaN, a lone surrogate...).
    """
    try:
        text = jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError too
        raise SerializationError(f"request body is not JSON-serialisable: {exc}") from exc


def _invalid(message: str, path: str, detail: str) -> ValidationError:
    return ValidationError(message, [FieldError(path, detail)])


ResponseT_co = TypeVar("ResponseT_co", bound=HttpResponse, covariant=True)


class HttpVerbs(ABC, Generic[ResponseT_co]):
    """``get``/``post``/``put``/``delete`` as calls of the subclass's ``request``."""

    @abstractmethod
    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a request with *method* to *url* and return the response."""

    async def get(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a GET request."""
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def post(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a POST request."""
        return await self.request(
            "POST",
            url,
            content=content,
            json=json,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def put(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a PUT request."""
        return await self.request(
            "PUT",
            url,
            content=content,
            json=json,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )

    async def delete(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> ResponseT_co:
        """Send a DELETE request."""
        return await self.request(
            "DELETE",
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            follow_redirects=follow_redirects,
        )
