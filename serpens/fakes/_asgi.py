"""Serve one request with an ASGI application in-process, as a server would."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

from serpens.errors import BackendUnavailableError, mask_url
from serpens.fakes._http_types import InMemoryResponse, RecordedRequest

__all__ = ["ASGIApp", "call_asgi"]

_logger = logging.getLogger(__name__)

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


async def call_asgi(app: ASGIApp, request: RecordedRequest) -> InMemoryResponse:
    """Serve *request* with the ASGI *app* in this event loop and collect its response."""
    parts = urlsplit(request.url)  # an ASCII URL the fake built (see _http_url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": parts.scheme,
        "path": unquote(parts.path) or "/",
        "raw_path": (parts.path or "/").encode("ascii"),
        "query_string": parts.query.encode("ascii"),
        "root_path": "",
        "headers": [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.raw()
        ],
        "server": (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
        "client": ("127.0.0.1", 50000),
    }
    state: dict[str, Any] = {"sent": False, "body": []}  # status and headers: on start
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not state["sent"]:
            state["sent"] = True
            return {"type": "http.request", "body": request.content, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Mapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            state["headers"] = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])
            ]
            state["started"] = True
        elif message["type"] == "http.response.body":
            state["body"].append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:
        # A server logs the crash, then answers 500, or drops the connection when the
        # response had already started: the fake does the same.
        _logger.exception(
            "ASGI app raised while serving %s %s", request.method, mask_url(request.url)
        )
        if state.get("started"):
            raise BackendUnavailableError(
                f"{request.method} {mask_url(request.url)}: server closed the connection"
            ) from exc
        return InMemoryResponse(500, text="Internal Server Error", url=request.url)
    finally:
        done.set()
    if not state.get("started"):
        # The app returned without answering: a server sends its own 500, as for a crash.
        return InMemoryResponse(500, text="Internal Server Error", url=request.url)
    return InMemoryResponse(
        state["status"],
        content=b"".join(state["body"]),
        headers=state["headers"],
        url=request.url,
    )
