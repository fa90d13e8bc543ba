"""HTTP client cases about failures: refused requests, failing servers, timeouts, refusals.

One theme of :class:`~serpens_contract.http.HttpClientContract`: a request no client may
send is refused before any I/O, and a server that fails, is slow or refuses the
connection gives the port's typed errors. Outages during use are ``HttpOutageCases``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pytest

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    SerializationError,
    ValidationError,
)
from serpens.ports import HttpClient
from serpens_contract._cancels import cancels_not_honoured
from serpens_contract.http._base import _HttpCases
from serpens_contract.http._target import HttpTarget


class _HttpFailureCases(_HttpCases):
    """Invalid URLs and requests, server errors, timeouts and refused connections."""

    @pytest.mark.parametrize("path", ["/crash", "/silent"])
    async def test_a_server_app_that_fails_before_answering_gives_a_500(
        self, client: HttpClient, url: Any, path: str
    ) -> None:
        """The server, not the client, answers: ``500 Internal Server Error``."""
        response = await client.get(url(path))
        assert response.status_code == 500
        assert response.text == "Internal Server Error"

    async def test_a_server_app_that_fails_mid_response_is_backend_unavailable(
        self, client: HttpClient, url: Any
    ) -> None:
        with pytest.raises(BackendUnavailableError):
            await client.get(url("/crash-midway"))
        assert (await client.get(url("/status/200"))).status_code == 200

    async def test_a_url_that_is_not_http_or_names_no_host_is_a_validation_error(
        self, client: HttpClient, url: Any
    ) -> None:
        """``ftp:``, ``mailto:``, ``http:///path``, a redirect there: ValidationError.

        httpx sends nothing to such a URL, so no connection error can stand for it. So are
        a network-path reference (``//host/x``, which httpx sent to the base URL's ``/``),
        a port above 65535 (a raw ``ExceptionGroup`` from httpx) and a broken IPv6 literal.
        """
        bad_urls = (
            "ftp://localhost/echo",
            "mailto:someone@example.com",
            "http:///echo",
            "//echo",
            "//localhost/echo",
            "http://127.0.0.1:99999/echo",
            "http://[::1/echo",
            "http://localhost/a\x01b",
        )
        for bad in bad_urls:
            with pytest.raises(ValidationError):
                await client.get(bad)
        with pytest.raises(ValidationError) as info:  # the URL in the message is masked
            await client.get("ftp://user:s3cret@localhost/echo?token=t0ken")
        assert "s3cret" not in str(info.value)
        assert "t0ken" not in str(info.value)
        target = quote("ftp://localhost/echo", safe="")
        with pytest.raises(ValidationError):
            await client.get(url(f"/redirect/302?to={target}"), follow_redirects=True)
        assert (await client.get(url("/echo/after"))).status_code == 200

    @pytest.mark.parametrize(
        ("method", "kwargs", "path"),
        [
            pytest.param(
                "GET", {"headers": {"X-A": "v\r\nX-Injected: 1"}}, "headers['X-A']", id="crlf"
            ),
            pytest.param("GET", {"headers": {"X-A": "a\x00"}}, "headers['X-A']", id="nul-value"),
            pytest.param("GET", {"headers": {"X-A": "ação"}}, "headers['X-A']", id="non-ascii"),
            pytest.param("GET", {"headers": {"X-A": " a "}}, "headers['X-A']", id="padded"),
            pytest.param("GET", {"headers": {"X-A": "a\t"}}, "headers['X-A']", id="tab-last"),
            pytest.param("GET", {"headers": {"X A": "v"}}, "headers", id="name-with-space"),
            pytest.param("GET", {"headers": {"": "v"}}, "headers", id="empty-name"),
            pytest.param("GE T", {}, "method", id="method-not-a-token"),
            pytest.param("GET", {"params": {"q": "\ud800"}}, "params['q']", id="lone-surrogate"),
            pytest.param("POST", {"json": {"a": float("nan")}}, None, id="json-nan"),
            pytest.param("POST", {"json": {"a": {1, 2}}}, None, id="json-set"),
            pytest.param("POST", {"json": ["\udfff"]}, None, id="json-surrogate"),
            pytest.param(
                "POST", {"json": {"a": 1}, "content": b"x"}, "content", id="json-and-content"
            ),
            pytest.param("GET", {"timeout": float("nan")}, "timeout", id="nan-timeout"),
        ],
    )
    async def test_a_request_no_client_may_send_is_refused_before_any_io(
        self,
        client: HttpClient,
        url: Any,
        method: str,
        kwargs: dict[str, Any],
        path: str | None,
    ) -> None:
        """A request no HTTP/1.1 client may send as given is refused before any I/O.

        Header names and methods are RFC 9110 tokens; header values tab and printable
        ASCII (a CR or LF would inject a header; httpx encodes values as ASCII), with no
        space or tab first or last (h11 refuses them); query text has a UTF-8 form; one
        body, ``content`` or ``json``; a timeout a number: else a ``ValidationError``
        naming the field. A JSON body is
        JSON: else a ``SerializationError``. httpx failed on these with
        ``LocalProtocolError`` (read as an unreachable server), ``UnicodeEncodeError``,
        ``ValueError`` or ``TypeError``; the fake sent the headers.
        """
        if path is None:
            with pytest.raises(SerializationError):
                await client.request(method, url("/echo"), **kwargs)
        else:
            with pytest.raises(ValidationError) as raised:
                await client.request(method, url("/echo"), **kwargs)
            assert [error.path for error in raised.value.errors] == [path]
        sent = await self._echo(await client.get(url("/echo"), headers={"X-A": "a\tb c"}))
        assert sent["headers"]["x-a"] == "a\tb c"

    @pytest.mark.parametrize("seconds", [0, -1, -0.5])
    async def test_a_timeout_of_zero_or_less_has_passed_before_any_io(
        self, client: HttpClient, url: Any, seconds: float
    ) -> None:
        """A deadline already passed (a used-up budget): ``BackendTimeoutError`` at once.

        The fake answered such a request; httpx failed it, connecting or not.
        """
        with pytest.raises(BackendTimeoutError):
            await client.get(url("/echo?token=s3cret"), timeout=seconds)
        assert (await client.get(url("/status/200"), timeout=5)).status_code == 200

    async def test_a_closed_client_is_backend_unavailable(
        self, http_target: HttpTarget, url: Any
    ) -> None:
        """After ``aclose()`` a request raises :class:`BackendUnavailableError`, before any I/O.

        httpx raised a bare ``RuntimeError``. Closing again is harmless.
        """
        client = http_target.make_client()
        assert (await client.get(url("/status/200"))).status_code == 200
        await client.aclose()
        with pytest.raises(BackendUnavailableError):
            await client.get(url("/status/200"))
        with pytest.raises(BackendUnavailableError):
            await client.post(url("/echo"), json={"a": 1})
        await client.aclose()

    async def test_a_slow_answer_is_a_backend_timeout_error(
        self, client: HttpClient, url: Any
    ) -> None:
        with pytest.raises(BackendTimeoutError) as info:
            await client.get(url("/sleep?seconds=2&token=s3cret"), timeout=0.2)
        assert isinstance(info.value, TimeoutError)
        assert "s3cret" not in str(info.value)
        # the client stays usable after a timeout
        assert (await client.get(url("/status/200"))).status_code == 200

    async def test_a_request_given_no_timeout_ends_by_the_clients_default(
        self, http_target: HttpTarget, url: Any
    ) -> None:
        """``timeout`` omitted, the client's default applies; a request's own one wins."""
        if http_target.make_timed_client is None:
            pytest.fail("set HttpTarget.make_timed_client: seconds -> a client with that timeout")
        client = http_target.make_timed_client(0.2)
        try:
            start = time.monotonic()
            with pytest.raises(BackendTimeoutError):
                await client.get(url("/sleep?seconds=2"))
            assert time.monotonic() - start < 1.5  # by the default, not by the app's 2 s
            slow = await client.get(url("/sleep?seconds=0.5"), timeout=5)
            assert slow.status_code == 200
        finally:
            await client.aclose()

    async def test_port_65535_is_a_port_and_65536_is_not(self, client: HttpClient) -> None:
        """The highest TCP port makes a valid URL; one above it does not.

        Nothing listens on 65535 here (it is above Linux's ephemeral ports), so that
        request is a refused connection, not a ValidationError; 65536 is refused before
        any I/O (an adapter refusing 65535 too survived).
        """
        with pytest.raises(BackendUnavailableError):
            await client.get("http://127.0.0.1:65535/echo", timeout=2)
        with pytest.raises(ValidationError):
            await client.get("http://127.0.0.1:65536/echo", timeout=2)

    async def test_a_refused_connection_is_backend_unavailable(
        self, client: HttpClient, http_target: HttpTarget
    ) -> None:
        with pytest.raises(BackendUnavailableError) as info:
            await client.get(http_target.unreachable_url, timeout=2)
        assert isinstance(info.value, ConnectionError)

    async def test_a_cancelled_request_ends_cancelled_wherever_the_cancel_lands(
        self, client: HttpClient, url: Any
    ) -> None:
        """A ``cancel()`` that finds a request running ends it with ``CancelledError``.

        Cancelled after 0, 1, 2, ... turns of the event loop (see
        :func:`serpens_contract._cancels.cancels_not_honoured`), so the cancel lands
        while connecting, sending, and reading the answer; then the client still works.
        """
        echo = url("/echo")
        assert await cancels_not_honoured(lambda: client.get(echo)) == []
        assert await cancels_not_honoured(lambda: client.post(echo, json={"n": 1})) == []
        assert (await client.get(url("/status/200"))).status_code == 200
