"""The HTTP verb shortcuts shared by ``HttpClient`` implementations.

The adapter (``serpens_httpx.HttpxHttpClient``) and the fake
(``serpens.fakes.InMemoryHttpClient``) implement only ``request``; ``get``, ``post``,
``put`` and ``delete`` come from :class:`HttpVerbs` so their signatures stay identical to
the port's.
"""

from __future__ import annotations

import json as jsonlib
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from serpens._rules.text import has_utf8
from serpens.errors import BackendTimeoutError, FieldError, SerializationError, ValidationError
from serpens.ports._http import Headers, HttpResponse, Params

__all__ = ["HttpVerbs", "check_body", "check_request", "check_timeout", "compact_json"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110's token: what a method or a header name is made of."""
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?")
"""What httpx sends as a header value: ASCII (it encodes ``str`` values as ASCII), with
no control character but tab (a CR or LF would split the header), and no space or tab
first or last (RFC 9110's field-value; h11 refuses all of these before sending)."""


def check_request(method: object, headers: Headers, params: Params) -> None:
    """Refuse, before any I/O, a request no HTTP/1.1 client may send as given.

    A method or a header name that is not an RFC 9110 token, a header value with a
    character other than tab and printable ASCII (a CR or LF would inject a header; httpx
    encodes values as ASCII) or starting or ending with a space or tab, or a query value
    with no UTF-8 form (a lone surrogate).
    httpx failed on these with its ``LocalProtocolError`` (which read as an unreachable
    server) or a bare ``UnicodeEncodeError``, and the fake sent them.

    Raises:
        ValidationError: naming the ``method``, ``headers[name]`` or ``params[name]``.
    """
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise _invalid("invalid HTTP method", "method", f"not an HTTP token: {method!r}")
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise _invalid("invalid header", "headers", f"not an HTTP token: {name!r}")
        if isinstance(value, str) and not _FIELD_VALUE.fullmatch(value):
            raise _invalid(
                "invalid header",
                f"headers[{name!r}]",
                "a value is tab and printable ASCII only (no CR, LF or other control"
                " character; encode other text, e.g. RFC 8187 or base64)",
            )
    for key, given in (params or {}).items():
        if not has_utf8(key) or (isinstance(given, str) and not has_utf8(given)):
            detail = "no UTF-8 form (a lone surrogate)"
            raise _invalid("invalid query parameter", f"params[{key!r}]", detail)


def check_body(content: object, json: object) -> None:
    """Refuse ``content=`` and ``json=`` given together: which one to send is ambiguous.

    httpx sent ``content`` and dropped ``json``, the fake the reverse.

    Raises:
        ValidationError: naming ``content``.
    """
    if content is not None and json is not None:
        raise _invalid("ambiguous request body", "content", "give content= or json=, not both")


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
