"""serpens.http_client: the process-wide httpx.AsyncClient, against a real local server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from serpens import http_client
from serpens.errors import ConfigurationError, NotInitializedError, SerpensError
from serpens.http_client import close_client, get_client, init_client
from serpens.testing import serve_asgi


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture(name="base_url", scope="module")
def _base_url() -> Iterator[str]:
    with serve_asgi(_hello) as url:
        yield url


@pytest.fixture(autouse=True)
async def _reset(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.delenv("HTTP_CLIENT_TIMEOUT", raising=False)
    await close_client()
    yield
    await close_client()


class TestInitClient:
    async def test_get_client_returns_the_one_client_init_created(self, base_url: str) -> None:
        client = await init_client()
        assert get_client() is client
        assert get_client() is client
        assert (await get_client().get(base_url)).text == "hello"

    async def test_timeout_defaults_to_30_seconds(self) -> None:
        client = await init_client()
        assert client.timeout == httpx.Timeout(30.0)

    @pytest.mark.parametrize("seconds", [2.5, 0.5])  # under a second is a timeout too
    async def test_timeout_comes_from_the_environment_at_init(
        self, monkeypatch: pytest.MonkeyPatch, seconds: float
    ) -> None:
        monkeypatch.setenv("HTTP_CLIENT_TIMEOUT", str(seconds))
        client = await init_client()
        assert client.timeout == httpx.Timeout(seconds)

    async def test_an_explicit_timeout_wins_over_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HTTP_CLIENT_TIMEOUT", "2.5")
        client = await init_client(timeout=7)
        assert client.timeout == httpx.Timeout(7)

    @pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
    async def test_a_bad_timeout_is_a_configuration_error_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        monkeypatch.setenv("HTTP_CLIENT_TIMEOUT", value)
        with pytest.raises(ConfigurationError, match="HTTP_CLIENT_TIMEOUT"):
            await init_client()
        with pytest.raises(ConfigurationError):
            get_client()

    async def test_extra_kwargs_pass_through(self, base_url: str) -> None:
        client = await init_client(base_url=base_url, headers={"X-Service": "api"})
        assert client.headers["x-service"] == "api"
        assert (await client.get("/")).text == "hello"

    async def test_reinit_with_the_same_options_is_a_no_op(self) -> None:
        first = await init_client(headers={"a": "1"})
        assert await init_client(headers={"a": "1"}) is first

    async def test_reinit_with_new_options_is_an_error_not_silently_ignored(self) -> None:
        await init_client(headers={"a": "1"})
        with pytest.raises(ConfigurationError, match="close_client"):
            await init_client(headers={"a": "2"})

    async def test_close_then_init_applies_new_options(self) -> None:
        await init_client(headers={"a": "1"})
        await close_client()
        client = await init_client(headers={"a": "2"})
        assert client.headers["a"] == "2"


class TestGetClient:
    def test_get_client_before_init_is_a_clear_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="init_client"):
            get_client()

    def test_get_client_before_init_is_a_runtime_error_as_in_2_9(self) -> None:
        with pytest.raises(RuntimeError, match="init_client") as raised:
            get_client()
        assert isinstance(raised.value, NotInitializedError)
        assert isinstance(raised.value, SerpensError)

    async def test_get_client_after_close_is_an_error_and_the_client_is_closed(self) -> None:
        client = await init_client()
        await close_client()
        assert client.is_closed
        with pytest.raises(ConfigurationError):
            get_client()
        await close_client()  # closing twice is harmless

    def test_a_client_from_a_closed_loop_is_rebuilt_on_the_running_loop(
        self, base_url: str
    ) -> None:
        """asyncio.run per invocation (Lambda, scripts) must not hand out a dead pool."""

        async def call_then_close() -> tuple[httpx.AsyncClient, str]:
            client = get_client()
            try:
                return client, (await client.get(base_url)).text
            finally:
                await close_client()

        first = asyncio.run(init_client(timeout=5))
        second, text = asyncio.run(call_then_close())
        assert text == "hello"
        assert second is not first
        assert second.timeout == httpx.Timeout(5)


def test_init_after_the_loop_closed_builds_a_live_client(base_url: str) -> None:
    async def init_call_close(**options: object) -> str:
        client = await init_client(**options)
        try:
            return (await client.get(base_url)).text
        finally:
            await close_client()

    asyncio.run(init_client(timeout=5))
    assert asyncio.run(init_call_close(timeout=5)) == "hello"  # same options, old loop gone
    asyncio.run(init_client(timeout=5))
    assert asyncio.run(init_call_close(timeout=9)) == "hello"  # new options, old loop gone


async def test_fastapi_lifespan_and_depends(base_url: str) -> None:
    from contextlib import asynccontextmanager  # noqa: PLC0415

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await init_client()
        yield
        await close_client()

    app = FastAPI(lifespan=lifespan)

    @app.get("/proxy")
    async def proxy(client: Annotated[httpx.AsyncClient, Depends(get_client)]) -> dict[str, str]:
        return {"upstream": (await client.get(base_url)).text, "same": str(client is get_client())}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as caller:
            response = await caller.get("/proxy")
        assert response.json() == {"upstream": "hello", "same": "True"}
    assert http_client._state.client is None
