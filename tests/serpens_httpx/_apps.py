"""ASGI apps that answer every request with one fixed response, for the httpx adapter tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[..., Awaitable[None]]],
    Awaitable[None],
]


def answering(body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> ASGIApp:
    """An app answering every HTTP request ``200`` with *body* and *headers*."""

    async def app(
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[..., Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})

    return app
