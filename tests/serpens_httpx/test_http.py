"""HttpxHttpClient beyond the contract: owning a client, its own, content types, bad URLs.

Also what the contract's adapter cell (no ``base_url``) cannot show: URLs httpx would
resolve against a base URL, and a closed client the caller owns.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from serpens.errors import BackendTimeoutError, BackendUnavailableError, ValidationError
from serpens.fakes import InMemoryHttpClient
from serpens.http_client import close_client, get_client, init_client
from serpens.testing import serve_asgi
from serpens_contract.http import scenario_app
from serpens_httpx import HttpxHttpClient


async def test_a_callers_client_stays_open_after_aclose() -> None:
    async with httpx.AsyncClient() as raw:
        adapter = HttpxHttpClient(raw)
        await adapter.aclose()
        assert not raw.is_closed
        assert adapter.client is raw


async def test_an_owned_client_is_closed_by_aclose() -> None:
    async with HttpxHttpClient(timeout=1) as adapter:
        raw = adapter.client
    assert raw.is_closed


async def test_an_owned_client_resolves_paths_against_its_base_url() -> None:
    with serve_asgi(scenario_app) as base_url:
        async with HttpxHttpClient(base_url=base_url, timeout=5) as adapter:
            response = await adapter.get("/status/201")
    assert (response.status_code, response.url) == (201, f"{base_url}/status/201")


async def test_a_callers_content_type_replaces_the_json_one() -> None:
    """As in httpx: ``json=`` sets ``Content-Type`` only when the caller gives none."""
    with serve_asgi(scenario_app) as base_url:
        async with HttpxHttpClient(base_url=base_url, timeout=5) as adapter:
            for name in ("Content-Type", "content-type"):
                headers = {name: "application/merge-patch+json"}
                echo = (await adapter.post("/echo", json={"a": 1}, headers=headers)).json()
                assert echo["headers"]["content-type"] == "application/merge-patch+json"
                assert bytes.fromhex(echo["body"]) == b'{"a":1}'


async def test_a_per_request_timeout_longer_than_the_clients_is_waited_out() -> None:
    """``timeout=`` of the call replaces the client's for every part of the request."""
    with serve_asgi(scenario_app) as base_url:
        async with HttpxHttpClient(base_url=base_url, timeout=0.3) as adapter:
            with pytest.raises(BackendTimeoutError):
                await adapter.get("/sleep?seconds=0.8")
            response = await adapter.get("/sleep?seconds=0.8", timeout=5)
    assert (response.status_code, response.text) == (200, "awake")


async def test_an_owned_client_waits_30_s_by_default() -> None:
    async with HttpxHttpClient() as adapter:
        assert adapter.client.timeout == httpx.Timeout(30.0)


async def test_it_wraps_the_shared_singleton() -> None:
    transport = httpx.ASGITransport(scenario_app)
    await init_client(transport=transport, base_url="http://app")
    try:
        response = await HttpxHttpClient(get_client()).get("/status/201")
        assert response.status_code == 201
        assert response.url == "http://app/status/201"
        assert response.raw.reason_phrase == "Created"
    finally:
        await close_client()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://[::1/"])
async def test_an_invalid_url_is_a_validation_error(url: str) -> None:
    async with HttpxHttpClient(timeout=1) as adapter:
        with pytest.raises(ValidationError):
            await adapter.get(url)


@pytest.mark.parametrize(
    "url",
    [
        "http:///echo",
        "http:///echo/deeper",
        "//echo",
        "///echo",
        "//other.example/echo",
        "mailto:a@b",
        "http://u@/echo",
        "http://:80/echo",
        "http://u@v@/echo",
        "http://?q=a?b",
        "http://#f#g",
    ],
)
async def test_a_url_with_a_scheme_or_host_but_not_both_is_refused_despite_a_base_url(
    url: str,
) -> None:
    """httpx reads these as relative and sent them to the base URL's host: refused instead.

    So are a deeper path, a port, a query or a fragment with no host before them, and a
    third slash (adapters that looked for the host's end at the last ``/``, ``?`` or
    ``#``, for the host after the first ``@``, took a lone port for a host, or ``///x``
    for a path, survived).
    """
    with serve_asgi(scenario_app) as base_url:
        async with HttpxHttpClient(base_url=base_url, timeout=5) as adapter:
            with pytest.raises(ValidationError):
                await adapter.get(url)
            assert (await adapter.get("/status/200")).status_code == 200


async def test_a_port_above_65535_is_a_validation_error_not_an_exception_group() -> None:
    async with HttpxHttpClient(base_url="http://127.0.0.1:99999", timeout=1) as adapter:
        with pytest.raises(ValidationError):
            await adapter.get("/x")
        with pytest.raises(ValidationError):
            await adapter.get("http://127.0.0.1:70000/x")


async def test_a_callers_client_closed_by_the_caller_is_backend_unavailable() -> None:
    """httpx raised a bare ``RuntimeError`` for a closed client; the port's error instead."""
    raw = httpx.AsyncClient()
    adapter = HttpxHttpClient(raw)
    await raw.aclose()
    with pytest.raises(BackendUnavailableError, match="closed"):
        await adapter.get("http://127.0.0.1:1/x?token=s3cret")


async def test_a_gzip_middleware_answer_is_decoded() -> None:
    """The audit's case: Starlette's ``GZipMiddleware`` compresses; the body reads as JSON."""
    app = Starlette(
        routes=[Route("/big", lambda _: JSONResponse({"data": "x" * 2000}))],
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
    )
    fake = InMemoryHttpClient(app=app, base_url="http://testserver")
    with serve_asgi(app, lifespan="off") as base_url:
        async with HttpxHttpClient(base_url=base_url, timeout=5) as adapter:
            for client in (fake, adapter):
                response = await client.get("/big")
                assert response.headers["content-encoding"] == "gzip"
                assert response.json() == {"data": "x" * 2000}
