"""httpx's log lines hide a URL's password alone, a secret query value alone, and text URLs.

``test_logging`` requests URLs holding both a password and a secret query value; these
cases take each apart, so a filter that masked only URLs holding both would leak the
other. The request log line is the real one of a real request to a local uvicorn server;
a URL given as text (as a caller's own record on the ``httpx`` logger, or an httpx that
logs ``str(url)``) is masked as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from serpens_httpx import HttpxHttpClient
from serpens_httpx._logging import mask_request_logs


@pytest.fixture(name="httpx_log")
def _httpx_log(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The messages the ``httpx`` logger emitted, as a handler formats them."""
    caplog.set_level(logging.INFO, logger="httpx")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "httpx"]


async def test_a_url_with_a_password_and_no_query_is_logged_masked(
    server_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    async with HttpxHttpClient(timeout=5) as client:
        await client.get(server_url.replace("http://", "http://svc:S3CRET@") + "/ok")
    masked = server_url.replace("http://", "http://svc:***@") + "/ok"
    assert httpx_log() == [f'HTTP Request: GET {masked} "HTTP/1.1 200 OK"']


async def test_a_url_with_a_secret_query_value_and_no_password_is_logged_masked(
    server_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    async with HttpxHttpClient(timeout=5) as client:
        await client.get(f"{server_url}/ok?access_token=TKN123")
    assert httpx_log() == [f'HTTP Request: GET {server_url}/ok?access_token=*** "HTTP/1.1 200 OK"']


async def test_a_url_given_as_text_on_the_httpx_logger_is_logged_masked(
    server_url: str, httpx_log: Callable[[], list[str]]
) -> None:
    mask_request_logs()
    secret = server_url.replace("http://", "http://svc:S3CRET@") + "/ok?token=TKN123"
    logging.getLogger("httpx").info("retrying %s after %s", secret, "a reset")
    masked = server_url.replace("http://", "http://svc:***@") + "/ok?token=***"
    assert httpx_log() == [f"retrying {masked} after a reset"]
    async with httpx.AsyncClient() as raw:  # httpx's own line keeps its form
        await raw.get(f"{server_url}/ok")
    assert httpx_log()[1:] == [f'HTTP Request: GET {server_url}/ok "HTTP/1.1 200 OK"']
