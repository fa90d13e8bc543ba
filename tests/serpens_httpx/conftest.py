"""A local uvicorn server answering 200 ``ok``, for the httpx adapter's log tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from serpens.testing import serve_asgi


async def _ok(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(name="server_url", scope="module")
def _server_url() -> Iterator[str]:
    """The URL of a server answering every request 200 ``ok`` (one per test module)."""
    with serve_asgi(_ok, lifespan="off") as url:
        yield url
