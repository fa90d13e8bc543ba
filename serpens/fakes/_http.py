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

from serpens._rules.http import (
    HttpVerbs,
    check_request,
    check_timeout,
    request_body,
    request_timeout,
)
from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    mask_url,
)
from serpens.fakes._asgi import ASGIApp, call_asgi
from serpens.fakes._http_types import (
    CaseInsensitiveHeaders,
    InMemoryResponse,
    RecordedRequest,
    decode_content,
)
from serpens.fakes._http_url import Target, join_url, parse_url, redirect_url
from serpens.fakes._outage import OutageSwitch
from serpens.ports._http import Headers, Params

__all__ = ["DEFAULT_HEADERS", "Handler", "InMemoryHttpClient"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_HEADERS: tuple[tuple[str, str], ...] = (
    ("accept", "*/*"),
    ("accept-encoding", "gzip, deflate"),
    ("connection", "keep-alive"),
    ("user-agent", "serpens-inmemory-http"),
)
"""Sent with every request unless the caller gives the same header (as httpx does)."""


def _redirect_headers(
    headers: list[tuple[str, str]], before: Target, after: Target, *, to_get: bool
) -> list[tuple[str, str]]:
    """The headers of a redirect hop, as httpx builds them.

    ``Authorization`` is dropped when the redirect leaves the origin (except a plain
    upgrade from http to https on the same host), and ``Host`` then names the new one;
    ``Cookie`` always goes; ``Content-Length`` when the hop became a GET.
    """
    old, new = before.origin, after.origin
    upgrade = old[0] == "http" and new[:2] == ("https", old[1]) and old[2] == 80  # noqa: PLR2004
    upgrade = upgrade and new[2] == 443  # noqa: PLR2004
    dropped = {"cookie"} | ({"content-length"} if to_get else set())
    if old != new:
        dropped |= {"host"} if upgrade else {"authorization", "host"}
    kept = [(k, v) for k, v in headers if k.lower() not in dropped]
    return [("host", after.host), *kept] if old != new else kept


Handler = Callable[[RecordedRequest], "InMemoryResponse | Awaitable[InMemoryResponse]"]


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
    and a ``Host`` unless the caller sets the same header; the URL is percent-encoded as
    httpx encodes it and its credentials sent as ``Authorization: Basic``; a ``HEAD``
    response has no body; a ``gzip`` or ``deflate`` body is decoded; a followed redirect
    that leaves the origin drops ``Authorization``, and every redirect drops ``Cookie``.
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
        self._origins = {parse_url("GET", url).origin for url in [self._base_url, *other_origins]}
        self._timeout = timeout
        self._max_redirects = max_redirects
        self._requests: list[RecordedRequest] = []
        self._closed = False

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (redirect hops included), oldest first."""
        return list(self._requests)

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
        outgoing = check_request(method, headers, params, content, json)
        target = parse_url(method, join_url(method, self._base_url, url), outgoing.query)
        timeout = request_timeout(timeout)
        limit = self._timeout if timeout is None else timeout
        check_timeout(limit, lambda: f"{method.upper()} {mask_url(target.url)}")
        body = request_body(outgoing, json) or b""
        self._check_outage()
        given = outgoing.headers
        names = {name.lower() for name, _ in given}
        pairs = [] if "host" in names else [("host", target.host)]  # a caller's Host wins
        pairs += [(k, v) for k, v in DEFAULT_HEADERS if k not in names] + given
        if target.authorization is not None:  # httpx's BasicAuth replaces the caller's
            pairs = [(k, v) for k, v in pairs if k.lower() != "authorization"]
            pairs.append(("authorization", target.authorization))
        if json is not None and "content-type" not in names:  # a caller's type wins
            pairs.append(("content-type", "application/json"))
        try:
            async with asyncio.timeout(limit):
                return await self._send(method.upper(), target.url, pairs, body, follow_redirects)
        except TimeoutError as exc:
            raise BackendTimeoutError(f"{method.upper()} {mask_url(target.url)} timed out") from exc

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
            before = parse_url(method, url)
            after = parse_url(method, redirect_url(method, url, location))
            code = response.status_code
            # as httpx (and browsers): 302 and 303 make anything but HEAD a GET, 301 a POST
            became_get = method not in {"GET", "HEAD"} and (
                code in {302, 303} or (code == 301 and method == "POST")  # noqa: PLR2004
            )
            if became_get:
                method, body = "GET", b""
            headers = _redirect_headers(headers, before, after, to_get=became_get)
            url = after.url
        raise BackendError(f"more than {self._max_redirects} redirects from {mask_url(url)}")

    async def _dispatch(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> InMemoryResponse:
        if parse_url(method, url).origin not in self._origins:
            raise BackendUnavailableError(f"connection refused: {mask_url(url)}")
        hosts = [(k, v) for k, v in headers if k.lower() == "host"]
        sent = hosts + [(k, v) for k, v in headers if k.lower() != "host"]
        given = any(k.lower() == "content-length" for k, _ in headers)  # the caller's wins
        if not given and (body or method in {"POST", "PUT", "PATCH"}):
            sent.insert(len(hosts), ("content-length", str(len(body))))
        recorded = RecordedRequest(method, url, CaseInsensitiveHeaders(sent), body)
        self._requests.append(recorded)
        if self._handler is not None:
            result = self._handler(recorded)
            response = await result if inspect.isawaitable(result) else result
            response.url = url
        else:
            assert self._app is not None  # noqa: S101 - checked in __init__
            response = await call_asgi(self._app, recorded)
        # a server sends no body for HEAD, whatever the app wrote; httpx decodes the rest
        content = b"" if method == "HEAD" else response.content
        content = decode_content(response.headers, content, f"{method} {mask_url(url)}")
        if content != response.content:
            response = copy.copy(response)
            response.content = content
        return response

    async def aclose(self) -> None:
        """Close the client; later requests fail with :class:`BackendUnavailableError`."""
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
