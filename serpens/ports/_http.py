"""The HttpClient port: the slice of ``httpx.AsyncClient`` services use.

``httpx.AsyncClient`` satisfies :class:`HttpClient` structurally (checked by mypy in
``tests/typing``), so production code can type against the port and receive either
the real client, ``serpens_httpx.HttpxHttpClient`` (httpx with serpens errors) or
``serpens.fakes.InMemoryHttpClient`` in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["HttpClient", "HttpResponse"]

Params = Mapping[str, str | int | float | bool | None] | None
Headers = Mapping[str, str] | None


class HttpResponse(Protocol):
    """A received response; header lookup is case-insensitive."""

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers, case-insensitive."""
        ...

    @property
    def content(self) -> bytes:
        """The raw body."""
        ...

    @property
    def text(self) -> str:
        """The body decoded with the response charset (UTF-8 when absent or unknown)."""
        ...

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON."""
        ...

    def raise_for_status(self) -> HttpResponse:
        """Return the response when the status is 2xx; raise otherwise (see ``HttpClient``)."""
        ...


class HttpClient(Protocol):
    """An asynchronous HTTP client.

    Shared semantics (pinned by ``serpens_contract.HttpClientContract``):

    - ``params`` are form-encoded into the query string (spaces as ``+``, ``True`` as
      ``true``, ``None`` as an empty value; a list or tuple value repeats its name once
      per item, none for an empty one) and replace any query already in *url*;
      ``json`` sends compact UTF-8 JSON with ``Content-Type: application/json``;
      ``content`` sends raw bytes with no content type: ``bytes``, a ``bytearray`` or
      ``memoryview`` as its bytes, a ``str`` as UTF-8 (as httpx) (both together:
      ambiguous, :class:`~serpens.errors.ValidationError`).
    - Raw text in *url* is percent-encoded as httpx does (WHATWG sets: spaces, non-ASCII
      and ``"<>`` in the query, ``{}`` and a backtick too in the path; ``%xx`` kept).
      Credentials in it (``http://user:pass@host``) are sent percent-decoded as
      ``Authorization: Basic``, replacing a caller's, never in ``Host``.
    - Every request carries httpx's default headers (``Accept: */*``,
      ``Accept-Encoding`` with ``gzip``, ``Connection: keep-alive``, a ``User-Agent``,
      the ``Host``, a body's ``Content-Length``) unless the caller sets the same header,
      which then replaces it (one header is sent). Header names and values are ``str``
      or ``bytes`` (sent as the same ASCII text).
    - A response body in ``gzip`` or ``deflate`` (its ``Content-Encoding``, codings
      stacked or in any case) is decoded; other codings are left as sent, the headers
      kept as received. A body that is not in its coding is
      :class:`~serpens.errors.SerializationError` from the request itself.
    - A ``HEAD`` response has no body (``content`` is ``b""``), whatever the server app
      wrote.
    - Redirects are not followed unless ``follow_redirects=True``; followed 301/302/303
      turn the request into a body-less GET, 307/308 keep method and body. A followed
      redirect that leaves the origin (scheme, host, port) drops ``Authorization``
      (except a plain http-to-https upgrade of the same host); every redirect drops
      ``Cookie``. At most 20 redirects are followed (httpx's default).
    - A body-less ``POST``, ``PUT`` or ``PATCH`` sends ``Content-Length: 0``.
    - A method or header name that is not an RFC 9110 token, a header value holding
      anything but tab and printable ASCII (a CR or LF would inject a header) or starting
      or ending with a space or tab, query text with no UTF-8 form, or an argument of a
      type the port does not take (``headers`` or ``params`` not a mapping, a header
      name or value not ``str`` or ``bytes``, a ``params`` name not ``str`` or value not
      ``str``, ``int``, ``float``, ``bool``, ``None`` or a list or tuple of them, a
      ``content`` not ``bytes``, ``bytearray``, ``memoryview`` or ``str``, a ``timeout``
      not an ``int`` or ``float``, or NaN), or a caller's ``Content-Length`` given
      twice or other than the body's length in decimal digits, raises
      :class:`~serpens.errors.ValidationError` naming the argument (never its value),
      and a ``json`` body that is not JSON :class:`~serpens.errors.SerializationError`,
      before any I/O (through the serpens adapter and the fake).
    - Any status is returned, not raised; ``raise_for_status()`` returns the response
      for 2xx and raises for anything else (like httpx).
    - Response headers are case-insensitive; repeated values join with ``", "``.
    - ``timeout`` is seconds for this request (an ``int`` or ``float``; ``math.inf`` is
      no deadline); omitted, the client's default applies. Zero or less is a deadline
      already passed: :class:`~serpens.errors.BackendTimeoutError` before any I/O.
    - Through the serpens adapter and the fake, failures are serpens errors: a timeout
      is :class:`~serpens.errors.BackendTimeoutError`, a refused or dropped connection
      :class:`~serpens.errors.BackendUnavailableError`, a redirect loop
      :class:`~serpens.errors.BackendError`, ``raise_for_status()``
      :class:`~serpens.errors.HTTPStatusError` (URL masked), ``json()`` of a non-JSON
      body :class:`~serpens.errors.SerializationError`, a URL (or a followed redirect's
      target) whose scheme is not ``http`` or ``https``, that names no host, has a host
      but no scheme (``//host/x``) or a port above 65535
      :class:`~serpens.errors.ValidationError`, before any I/O, and a request after
      ``aclose()`` :class:`~serpens.errors.BackendUnavailableError`. A bare ``httpx.AsyncClient``
      also satisfies this protocol but raises httpx's own exceptions.
    """

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
    ) -> HttpResponse:
        """Send a request with *method* to *url* and return the response."""
        ...

    async def get(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> HttpResponse:
        """Send a GET request."""
        ...

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
    ) -> HttpResponse:
        """Send a POST request."""
        ...

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
    ) -> HttpResponse:
        """Send a PUT request."""
        ...

    async def delete(
        self,
        url: str,
        *,
        params: Params = None,
        headers: Headers = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
    ) -> HttpResponse:
        """Send a DELETE request."""
        ...

    async def aclose(self) -> None:
        """Close pooled connections; a later request raises ``BackendUnavailableError``."""
        ...
