"""httpx's own request log line shows URLs with their secrets masked.

httpx logs ``HTTP Request: GET <url> "HTTP/1.1 200 OK"`` at INFO on the ``httpx`` logger;
the record captured here is the real one of a real request to a local uvicorn server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from serpens.http_client import close_client, get_client, init_client
from serpens_httpx import HttpxHttpClient
from serpens_httpx._logging import _FILTER, mask_request_logs


@pytest.fixture(name="secret_url")
def _secret_url(server_url: str) -> str:
    return server_url.replace("http://", "http://svc:S3CRET@") + "/ok?token=TKN123&page=2"


@pytest.fixture(name="masked_url")
def _masked_url(server_url: str) -> str:
    return server_url.replace("http://", "http://svc:***@") + "/ok?token=***&page=2"


@pytest.fixture(name="httpx_log")
def _httpx_log(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The messages the ``httpx`` logger emitted, as a handler formats them."""
    caplog.set_level(logging.INFO, logger="httpx")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "httpx"]


@pytest.fixture(autouse=True)
async def _no_shared_client() -> AsyncIterator[None]:
    await close_client()
    yield
    await close_client()


async def test_the_shared_client_logs_its_requests_with_secrets_masked(
    secret_url: str, masked_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    await init_client(timeout=5)
    await get_client().get(secret_url)
    assert httpx_log() == [f'HTTP Request: GET {masked_url} "HTTP/1.1 200 OK"']


async def test_the_adapter_logs_its_requests_with_secrets_masked(
    secret_url: str, masked_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    async with HttpxHttpClient(timeout=5) as owned:
        await owned.get(secret_url)
    async with httpx.AsyncClient() as raw:  # a caller's plain client, wrapped
        await HttpxHttpClient(raw).post(secret_url, json={})
    assert httpx_log() == [
        f'HTTP Request: GET {masked_url} "HTTP/1.1 200 OK"',
        f'HTTP Request: POST {masked_url} "HTTP/1.1 200 OK"',
    ]


async def test_a_url_without_secrets_is_logged_as_httpx_logs_it(
    server_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    mask_request_logs()
    mask_request_logs()  # installed once, however often clients are built
    assert logging.getLogger("httpx").filters.count(_FILTER) == 1
    async with httpx.AsyncClient() as raw:
        await raw.get(f"{server_url}/ok?page=2")
    assert httpx_log() == [f'HTTP Request: GET {server_url}/ok?page=2 "HTTP/1.1 200 OK"']
