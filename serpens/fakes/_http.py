"""InMemoryHttpClient: an HttpClient that serves requests from an in-process app.

Requests go to an ASGI application (``app=``) or a plain callable (``handler=``) in the
same event loop, without sockets, and are recorded. Behaviour follows the serpens
httpx adapter (``serpens_httpx.HttpxHttpClient``); the ``HttpClientContract`` suite
runs one scenario app through both and checks that they agree.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Self
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

from serpens._rules.http import HttpVerbs, check_request, compact_json
from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ValidationError,
    mask_url,
)
from serpens.fakes._asgi import ASGIApp, call_asgi
from serpens.fakes._http_types import (
    CaseInsensitiveHeaders,
    InMemoryResponse,
    RecordedRequest,
)
from serpens.fakes._outage import OutageSwitch
from serpens.ports._http import Headers, Params

__all__ = ["DEFAULT_HEADERS", "Handler", "InMemoryHttpClient"]

_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_HEADERS: tuple[tuple[str, str], ...] = (
    ("accept", "*/*"),
    ("accept-encoding", "gzip, deflate"),
    ("connection", "keep-alive"),
    ("user-agent", "serpens-inmemory-http"),
)
"""Sent with every request unless the caller gives the same header (as httpx does)."""
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    return parts.scheme, host.lower(), port or _DEFAULT_PORTS.get(parts.scheme, "")


def _redirect_headers(
    headers: list[tuple[str, str]], old: str, new: str, *, to_get: bool
) -> list[tuple[str, str]]:
    """The headers of a redirect hop, as httpx builds them.

    ``Authorization`` is dropped when the redirect leaves the origin (except a plain
    upgrade from http to https on the same host); ``Cookie`` always; ``Content-Length``
    when the hop became a GET.
    """
    before, after = _origin(old), _origin(new)
    upgrade = before[0] == "http" and after[:2] == ("https", before[1]) and before[2] == "80"
    upgrade = upgrade and after[2] == "443"
    dropped = {"cookie"} | ({"content-length"} if to_get else set())
    if before != after and not upgrade:
        dropped.add("authorization")
    return [(k, v) for k, v in headers if k.lower() not in dropped]


Handler = Callable[[RecordedRequest], "InMemoryResponse | Awaitable[InMemoryResponse]"]


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` segments the way httpx does before sending."""
    if "." not in path:
        return path
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    return "/".join(output) or "/"


def _query_value(value: str | float | bool | None) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _check_url(method: str, url: str) -> None:
    """An absolute ``http``/``https`` URL naming a host, else ``ValidationError``.

    httpx refuses anything else before any I/O (``UnsupportedProtocol``), redirect
    targets included, and the adapter raises ``ValidationError`` for it.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(f"{method.upper()} {mask_url(url)}: invalid URL")


class InMemoryHttpClient(OutageSwitch, HttpVerbs[InMemoryResponse]):
    """An ``HttpClient`` whose requests are served by an in-process ASGI app or callable.

    Args:
        handler: ``RecordedRequest -> InMemoryResponse`` (sync or async).
        app: an ASGI application (exactly one of *handler* and *app*).
        base_url: the origin the app is served at; a request to another origin fails
            with :class:`BackendUnavailableError`, as a refused connection would.
        timeout: default seconds per request (including redirects).
        max_redirects: redirects followed before :class:`BackendError`.
        other_origins: more origins (``http://other.test``) the same app answers on,
            to test redirects that leave the origin.

    As through httpx and a real server: every request carries :data:`DEFAULT_HEADERS`
    unless the caller sets the same header; a ``HEAD`` response has no body; a followed
    redirect that leaves the origin drops ``Authorization``, and every redirect drops
    ``Cookie``.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        app: ASGIApp | None = None,
        base_url: str = "http://testserver",
        timeout: float = 5.0,
        max_redirects: int = 20,
        other_origins: Sequence[str] = (),
    ) -> None:
        if (handler is None) == (app is None):
            raise TypeError("pass exactly one of handler= or app=")
        self._handler, self._app = handler, app
        self._base_url = base_url.rstrip("/") + "/"
        self._origins = {_origin(url) for url in [self._base_url, *other_origins]}
        self._timeout = timeout
        self._max_redirects = max_redirects
        self._requests: list[RecordedRequest] = []
        self._closed = False

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (redirect hops included), oldest first."""
        return list(self._requests)

    def _url(self, url: str, params: Params) -> str:
        if not urlsplit(url).scheme:
            url = self._base_url + url.lstrip("/")
        parts = urlsplit(url)
        parts = parts._replace(path=quote(_remove_dot_segments(parts.path), safe=_PATH_SAFE))
        if params is not None:  # params replace the URL's query, as httpx does
            query = urlencode([(k, _query_value(v)) for k, v in params.items()])
            parts = parts._replace(query=query)
        return urlunsplit(parts)

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
    ) -> InMemoryResponse:
        """Send a request to the app and return its response (see ``HttpClient``)."""
        if self._closed:
            raise BackendUnavailableError("the HTTP client is closed")
        check_request(method, headers, params)
        full = self._url(url, params)
        _check_url(method, full)
        self._check_outage()
        given = list((headers or {}).items())
        names = {name.lower() for name, _ in given}
        pairs = [(k, v) for k, v in DEFAULT_HEADERS if k not in names] + given
        body = content or b""
        if json is not None:
            body = compact_json(json)
            if "content-type" not in names:  # a caller's own type wins, as in httpx
                pairs.append(("content-type", "application/json"))
        limit = self._timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                return await self._send(method.upper(), full, pairs, body, follow_redirects)
        except TimeoutError as exc:
            raise BackendTimeoutError(f"{method.upper()} {mask_url(full)} timed out") from exc

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        follow: bool,
    ) -> InMemoryResponse:
        for _ in range(self._max_redirects + 1):
            response = await self._dispatch(method, url, headers, body)
            location = response.headers.get("location")
            if not follow or response.status_code not in _REDIRECTS or location is None:
                return response
            target = urljoin(url, location)
            _check_url(method, target)
            code = response.status_code
            # as httpx (and browsers): 302 and 303 make anything but HEAD a GET, 301 a POST
            became_get = method not in {"GET", "HEAD"} and (
                code in {302, 303} or (code == 301 and method == "POST")  # noqa: PLR2004
            )
            if became_get:
                method, body = "GET", b""
            headers = _redirect_headers(headers, url, target, to_get=became_get)
            url = target
        raise BackendError(f"more than {self._max_redirects} redirects from {mask_url(url)}")

    async def _dispatch(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> InMemoryResponse:
        parts = urlsplit(url)
        if _origin(url) not in self._origins:
            raise BackendUnavailableError(f"connection refused: {mask_url(url)}")
        sent = [("host", parts.netloc)]
        if body or method in {"POST", "PUT", "PATCH"}:
            sent.append(("content-length", str(len(body))))
        sent += headers
        recorded = RecordedRequest(method, url, CaseInsensitiveHeaders(sent), body)
        self._requests.append(recorded)
        if self._handler is not None:
            result = self._handler(recorded)
            response = await result if inspect.isawaitable(result) else result
            response.url = url
        else:
            assert self._app is not None  # noqa: S101 - checked in __init__
            response = await call_asgi(self._app, recorded)
        if method == "HEAD":  # a server sends no body for HEAD, whatever the app wrote
            response = copy.copy(response)
            response.content = b""
        return response

    async def aclose(self) -> None:
        """Close the client; later requests fail with :class:`BackendUnavailableError`."""
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
