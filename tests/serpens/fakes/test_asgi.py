"""The fake HTTP client serves an ASGI app as a server would (ASGI 3.0, HTTP scope 2.3).

The HTTP contract runs one scenario app through the fake and through a real server; these
cases pin the parts of the ASGI conversation that scenario does not look at: the scope's
fields, the receive channel before and after the response, and how a response sent in
parts is put together.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from serpens.fakes import InMemoryHttpClient

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


async def _echo_scope(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """Answer with the scope (bytes as text), the request message, then read on."""
    request = await receive()
    seen = {
        key: (value.decode("latin-1") if isinstance(value, bytes) else value)
        for key, value in scope.items()
        if key != "headers"
    }
    seen["headers"] = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]
    seen["request"] = {**request, "body": request["body"].decode()}
    body = json.dumps(seen).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"x-t\xe9", b"caf\xe9")],
        }
    )
    await send({"type": "http.response.body", "body": body[:10], "more_body": True})
    await send({"type": "http.response.body", "more_body": True})  # no body: nothing added
    await send({"type": "http.response.body", "body": body[10:]})
    assert (await receive())["type"] == "http.disconnect"  # after the response: gone


class TestInMemoryHttpClientASGI:
    """The scope an app is called with, and the response it sends."""

    async def test_the_scope_is_an_http_scope_of_the_request(self) -> None:
        client = InMemoryHttpClient(app=_echo_scope, base_url="http://api.test")
        response = await client.post(
            "/a%20b/c", params={"q": "1 2"}, content=b"hi", headers={"X-Trace": "Abc"}
        )
        assert response.status_code == 201
        scope = response.json()
        assert scope["type"] == "http"
        assert scope["asgi"] == {"version": "3.0", "spec_version": "2.3"}
        assert (scope["http_version"], scope["method"], scope["scheme"]) == ("1.1", "POST", "http")
        assert scope["path"] == "/a b/c"  # decoded, as servers pass it
        assert scope["raw_path"] == "/a%20b/c"  # as sent
        assert scope["query_string"] == "q=1+2"
        assert scope["root_path"] == ""
        assert ["x-trace", "Abc"] in scope["headers"]  # names lower-cased, values kept
        assert scope["server"] == ["api.test", 80]
        assert scope["client"][0] == "127.0.0.1"
        assert scope["request"] == {"type": "http.request", "body": "hi", "more_body": False}

    async def test_the_server_port_is_the_urls_or_the_schemes_default(self) -> None:
        for base_url, server in [
            ("https://api.test", ["api.test", 443]),
            ("http://api.test:8080", ["api.test", 8080]),
            ("https://api.test:8443", ["api.test", 8443]),
        ]:
            client = InMemoryHttpClient(app=_echo_scope, base_url=base_url)
            scope = (await client.get("/")).json()
            assert scope["server"] == server
            assert scope["scheme"] == base_url.split(":")[0]

    async def test_a_response_sent_in_parts_is_joined_with_its_headers_decoded(self) -> None:
        client = InMemoryHttpClient(app=_echo_scope)
        response = await client.get("/")
        assert response.status_code == 201
        assert response.headers["x-té"] == "café"  # latin-1, as on the wire
        assert response.json()["path"] == "/"

    async def test_a_response_start_without_headers_has_none(self) -> None:
        async def bare(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 204})
            await send({"type": "http.response.body"})

        response = await InMemoryHttpClient(app=bare).get("/")
        assert (response.status_code, response.content) == (204, b"")
        assert "content-type" not in response.headers

    async def test_the_path_of_a_bare_origin_is_the_root(self) -> None:
        client = InMemoryHttpClient(app=_echo_scope, base_url="http://api.test")
        scope = (await client.get("http://api.test")).json()  # an absolute URL, no path
        assert (scope["path"], scope["raw_path"]) == ("/", "/")

    async def test_dot_segments_that_climb_to_the_root_leave_the_root(self) -> None:
        """``/x/..`` and ``/.`` resolve to ``/``, as httpx sends them."""
        client = InMemoryHttpClient(app=_echo_scope, base_url="http://api.test")
        for url in ("/x/..", "/.", "http://api.test/x/../"):
            scope = (await client.get(url)).json()
            assert (scope["path"], scope["raw_path"]) == ("/", "/"), url

    async def test_a_relative_url_is_joined_to_the_base_urls_path(self) -> None:
        """With or without its leading slash, as httpx joins a ``base_url``."""
        client = InMemoryHttpClient(app=_echo_scope, base_url="http://api.test/v1")
        for url in ("X/y", "/X/y"):
            assert (await client.get(url)).json()["path"] == "/v1/X/y", url

    async def test_receive_waits_while_the_response_streams(self) -> None:
        """Mid-response, ``receive()`` blocks until the client goes: it is not a disconnect.

        An app that polls for a disconnect between chunks (server-sent events do) must
        see none while the client is still reading.
        """
        polled: list[str] = []

        async def streaming(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
            await receive()
            await send({"type": "http.response.start", "status": 200})
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            try:
                polled.append((await asyncio.wait_for(receive(), 0.05))["type"])
            except TimeoutError:
                polled.append("still connected")
            await send({"type": "http.response.body", "body": b"b"})
            polled.append((await receive())["type"])

        response = await InMemoryHttpClient(app=streaming).get("/")
        assert response.content == b"ab"
        assert polled == ["still connected", "http.disconnect"]

    async def test_a_crash_is_logged_with_the_request_its_secrets_masked(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The 500 answers the request's URL; the log names method and URL, never a secret."""

        async def crash(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
            raise RuntimeError

        client = InMemoryHttpClient(app=crash, base_url="http://api.test")
        with caplog.at_level(logging.ERROR):
            response = await client.get("/x", params={"token": "s3cret"})
        assert (response.status_code, response.url) == (500, "http://api.test/x?token=s3cret")
        (record,) = [r for r in caplog.records if r.exc_info]
        logged = record.getMessage()
        assert "GET" in logged
        assert "http://api.test/x?token=***" in logged
        assert "s3cret" not in logged

    async def test_an_app_that_never_answers_gets_a_500_for_its_url(self) -> None:
        async def silent(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
            await receive()

        response = await InMemoryHttpClient(app=silent, base_url="http://api.test").get("/q")
        assert (response.status_code, response.url) == (500, "http://api.test/q")
