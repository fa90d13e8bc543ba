"""serve_asgi runs an app under uvicorn on 127.0.0.1 and stops it on exit."""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.request
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serpens.errors import BackendUnavailableError
from serpens.testing import serve_asgi
from serpens.testing._common import port_is_open


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "started": request.app.state.started})


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.started = True
    yield


def test_serves_real_http_and_runs_the_lifespan() -> None:
    app = Starlette(routes=[Route("/hello", _echo)], lifespan=_lifespan)
    with serve_asgi(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base_url}/hello", timeout=5) as response:
            assert response.status == 200
            assert response.read() == b'{"path":"/hello","started":true}'
        port = int(base_url.rsplit(":", 1)[1])
    assert not port_is_open("127.0.0.1", port)


async def test_async_tests_can_use_it_too() -> None:
    app = Starlette(routes=[Route("/hello", _echo)], lifespan=_lifespan)
    with serve_asgi(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            response = await client.get("/hello")
    assert response.json() == {"path": "/hello", "started": True}


@contextlib.asynccontextmanager
async def _broken_lifespan(app: Starlette) -> AsyncIterator[None]:
    raise RuntimeError("database missing")
    yield  # pragma: no cover


def test_app_that_fails_at_startup_is_a_clear_error() -> None:
    app = Starlette(lifespan=_broken_lifespan)
    with (
        pytest.raises(BackendUnavailableError, match="cannot start the ASGI test server"),
        serve_asgi(app, lifespan="on"),
    ):
        pass  # pragma: no cover


def test_a_long_request_head_split_across_reads_is_served() -> None:
    """A 64 KiB URL (httpx's longest) arriving in two TCP reads is answered, not a 400."""
    app = Starlette(routes=[Route("/hello", _echo)], lifespan=_lifespan)
    head = b"GET /hello?q=" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with serve_asgi(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(head[:20000])
            time.sleep(0.2)  # the server reads the first part alone
            sock.sendall(head[20000:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b'{"path":"/hello","started":true}')
