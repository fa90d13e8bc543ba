"""HTTP client: one shared AsyncClient (serpens.http_client) vs a new client per request.

Requests go to a uvicorn server on 127.0.0.1 answering a tiny body, so the figure is
dominated by what the client does per request (connection setup vs pool reuse). Also
measures the cost of the serpens_httpx adapter over raw httpx, one request at a time.
"""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import version
from typing import Any

import httpx

from bench._common import Result, interleaved_medians_async, note_server, print_table, scaled
from serpens.http_client import close_client, get_client, init_client
from serpens.testing import serve_asgi
from serpens_httpx import HttpxHttpClient

REQUESTS = scaled(1000, minimum=50)
CONCURRENCY = 10


async def _app(scope: dict[str, Any], _receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def _rps(one_request: Any, total: int = REQUESTS, concurrency: int = CONCURRENCY) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            await one_request()

    start = time.perf_counter()
    await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def _measure(url: str) -> list[Result]:
    await init_client()

    async def shared() -> None:
        (await get_client().get(url)).raise_for_status()

    async def per_request() -> None:
        async with httpx.AsyncClient() as client:
            (await client.get(url)).raise_for_status()

    adapter = HttpxHttpClient(get_client())

    async def through_adapter() -> None:
        (await adapter.get(url)).raise_for_status()

    await _rps(shared, scaled(100, minimum=10))  # warm the pool and the server
    singleton = max([await _rps(shared) for _ in range(3)])
    # A new client costs tens of milliseconds (TLS context setup): fewer rounds suffice.
    fresh = max([await _rps(per_request, scaled(200, minimum=10)) for _ in range(2)])
    # Adapter overhead: one request at a time, so the figure is the per-request cost
    # (with 10 concurrent callers the server thread's scheduling dominates the spread).
    # Single requests alternate and each side's figure is its median request.
    for _ in range(scaled(50, minimum=5)):
        await through_adapter()
    medians = await interleaved_medians_async(
        (through_adapter, shared), calls=scaled(3000, minimum=100)
    )
    await close_client()
    return [
        Result(
            f"requests/s, {CONCURRENCY} concurrent: shared client vs client per request",
            singleton,
            fresh,
            "req/s",
            "new AsyncClient per request",
            target=1.0,
            lower_is_better=False,
        ),
        Result(
            "one request through the serpens_httpx adapter",
            medians[through_adapter] * 1e6,
            medians[shared] * 1e6,
            "us/request",
            "raw httpx.AsyncClient",
            target=1.05,
        ),
    ]


def main() -> list[Result]:
    note_server("HTTP", f"uvicorn {version('uvicorn')} on 127.0.0.1 (serpens.testing.serve_asgi)")
    with serve_asgi(_app, lifespan="off") as url:
        return asyncio.run(_measure(url))


if __name__ == "__main__":
    print_table(main())
