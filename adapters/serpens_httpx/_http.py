"""HttpxHttpClient: the HttpClient port over ``httpx.AsyncClient`` with serpens errors."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from serpens import _tracing
from serpens._rules.http import (
    HttpVerbs,
    check_request,
    check_timeout,
    request_body,
    request_timeout,
)
from serpens.errors import HTTPStatusError, SerializationError, mask_url
from serpens.ports._http import Headers, Params
from serpens_httpx._checks import check_open, check_port, check_url
from serpens_httpx._deadline import DeadlineAsyncClient, run_within, total_seconds
from serpens_httpx._errors import translate_errors
from serpens_httpx._logging import mask_request_logs
from serpens_httpx._spans import traced_send

__all__ = ["HttpxHttpClient", "HttpxResponse"]


class HttpxResponse:
    """An ``HttpResponse`` over ``httpx.Response`` raising serpens errors.

    Attributes:
        raw: the underlying ``httpx.Response``, for what the port does not cover.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.raw = response

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        return self.raw.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers, case-insensitive; repeated values join with ``", "``."""
        return self.raw.headers

    @property
    def content(self) -> bytes:
        """The raw body."""
        return self.raw.content

    @property
    def text(self) -> str:
        """The body decoded with the response charset (UTF-8 by default)."""
        return self.raw.text

    @property
    def url(self) -> str:
        """The final request URL (after redirects)."""
        return str(self.raw.url)

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON; :class:`SerializationError` when it is not JSON."""
        try:
            return jsonlib.loads(self.raw.content, **kwargs)
        except ValueError as exc:
            raise SerializationError(f"response from {mask_url(self.url)} is not JSON") from exc

    def raise_for_status(self) -> Self:
        """Return the response for 2xx; raise :class:`HTTPStatusError` otherwise."""
        if self.raw.is_success:
            return self
        raise HTTPStatusError(self.status_code, self.url)

    def __repr__(self) -> str:
        return f"<HttpxResponse [{self.status_code}]>"


class HttpxHttpClient(HttpVerbs[HttpxResponse]):
    """An ``HttpClient`` over ``httpx.AsyncClient`` whose failures are serpens errors.

    Args:
        client: a ready ``httpx.AsyncClient`` (for example ``serpens.http_client.get_client()``);
            the caller keeps owning it and :meth:`aclose` leaves it open. When omitted the
            adapter creates and owns one with *base_url* and *timeout*.
        base_url: base URL of the client the adapter creates.
        timeout: default seconds per request of the client the adapter creates.

    Every request has a total deadline, its timeout (``timeout=`` of the call, else the
    client's, the largest of its parts): connecting, sending and reading the whole body
    must end within it, or the request is cancelled with :class:`BackendTimeoutError`.
    httpx's own timeouts bound each read only, so a server trickling bytes slowly would
    otherwise keep a request alive forever.

    With opentelemetry and an SDK provider, every request is a ``CLIENT`` span and its
    trace context goes in the request headers (``traceparent``), recorded by the
    client's ``send`` for a ``DeadlineAsyncClient`` (the shared one of
    ``serpens.http_client``, the one created here), else by the adapter: one span per
    request either way.

    httpx's own INFO log line of each request (``HTTP Request: GET <url> ...``) shows the
    URL with its password and secret query values masked (:func:`serpens.errors.mask_url`).
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        base_url: str = "",
        timeout: float = 30.0,
    ) -> None:
        mask_request_logs()  # httpx logs each URL at INFO; hide its secrets there
        self._owned = client is None
        self._client = (
            client
            if client is not None
            else DeadlineAsyncClient(base_url=base_url, timeout=timeout)
        )
        # a DeadlineAsyncClient records the span of each request itself
        self._traces = _tracing.enabled() and not isinstance(self._client, DeadlineAsyncClient)

    @property
    def client(self) -> httpx.AsyncClient:
        """The wrapped ``httpx.AsyncClient``."""
        return self._client

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
    ) -> HttpxResponse:
        """Send a request (see ``HttpClient``); ``timeout=None`` uses the client's.

        The whole request must end within its timeout (a total deadline, not per read).
        """
        client = self._client
        check_open(client, method, url)
        outgoing = check_request(method, headers, params, content, json)
        check_url(method, url)
        timeout = request_timeout(timeout)
        deadline = total_seconds(client.timeout if timeout is None else timeout)
        check_timeout(deadline, lambda: f"{method.upper()} {mask_url(url)}")
        # what httpx sends, from the checked parts only: httpx would take a bytearray as an
        # iterable (a sync stream an AsyncClient refuses), a list's repr as a query value
        body = request_body(outgoing, json)
        sent = outgoing.headers
        if json is not None and not any(name.lower() == "content-type" for name, _ in sent):
            sent = [*sent, ("Content-Type", "application/json")]
        with translate_errors(method, url):
            request = client.build_request(
                method,
                url,
                content=body,
                params=outgoing.query,
                headers=sent,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
            check_port(method, request)

            def send() -> Awaitable[httpx.Response]:
                return run_within(
                    client.send(request, follow_redirects=follow_redirects),
                    deadline,
                    lambda: f"{method.upper()} {mask_url(url)}",
                )

            response = await (traced_send(request, send) if self._traces else send())
        return HttpxResponse(response)

    async def aclose(self) -> None:
        """Close the client if the adapter created it; a caller's client stays open."""
        if self._owned:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
