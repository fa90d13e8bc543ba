"""HttpxHttpClient beyond the contract: ownership and error mapping of bad URLs."""

from __future__ import annotations

import httpx
import pytest

from serpens.errors import ValidationError
from serpens.http_client import close_client, get_client, init_client
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
