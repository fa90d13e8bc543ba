"""InMemoryHttpClient beyond the contract: callable handlers, recording, app crashes."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from serpens.errors import BackendUnavailableError, SerializationError
from serpens.fakes import InMemoryHttpClient, InMemoryResponse, RecordedRequest


async def test_a_callable_handler_serves_and_requests_are_recorded() -> None:
    def handler(request: RecordedRequest) -> InMemoryResponse:
        return InMemoryResponse(201, json={"got": request.json(), "path": request.path})

    client = InMemoryHttpClient(handler, base_url="https://api.example")
    response = await client.post("/v1/items", json={"name": "a"}, headers={"X-Id": "7"})
    assert response.status_code == 201
    assert response.json() == {"got": {"name": "a"}, "path": "/v1/items"}
    assert response.headers["Content-Type"] == "application/json"
    (recorded,) = client.requests
    assert recorded.method == "POST"
    assert recorded.url == "https://api.example/v1/items"
    assert recorded.headers["x-id"] == "7"
    assert recorded.headers["HOST"] == "api.example"


async def test_an_async_handler_and_text_responses_work() -> None:
    async def handler(request: RecordedRequest) -> InMemoryResponse:
        return InMemoryResponse(text=f"q={request.query}")

    client = InMemoryHttpClient(handler)
    assert (await client.get("/x", params={"a": 1})).text == "q=a=1"


async def test_redirect_hops_are_recorded() -> None:
    def handler(request: RecordedRequest) -> InMemoryResponse:
        if request.path == "/old":
            return InMemoryResponse(301, headers={"Location": "/new"})
        return InMemoryResponse(text="new")

    client = InMemoryHttpClient(handler)
    assert (await client.get("/old", follow_redirects=True)).text == "new"
    assert [r.path for r in client.requests] == ["/old", "/new"]


async def test_an_app_that_crashes_answers_500_like_a_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    client = InMemoryHttpClient(app=app)
    response = await client.get("/?token=s3cret")
    assert response.status_code == 500
    assert "boom" in caplog.text
    assert "s3cret" not in caplog.text


async def test_a_closed_client_refuses_requests() -> None:
    async with InMemoryHttpClient(lambda request: InMemoryResponse()) as client:
        assert (await client.get("/")).status_code == 200
    with pytest.raises(BackendUnavailableError):
        await client.get("/")


async def test_a_body_that_cannot_be_json_encoded_is_a_serialization_error() -> None:
    client = InMemoryHttpClient(lambda request: InMemoryResponse())
    with pytest.raises(SerializationError):
        await client.post("/", json={"x": float("nan")})


def test_exactly_one_of_handler_and_app_is_required() -> None:
    with pytest.raises(TypeError):
        InMemoryHttpClient()
    with pytest.raises(TypeError):
        InMemoryHttpClient(lambda request: InMemoryResponse(), app=lambda *a: None)  # type: ignore[arg-type,return-value]


async def test_url_credentials_become_basic_auth_and_never_show_in_a_repr() -> None:
    """As httpx: ``Authorization: Basic``, a Host without them, reprs masked (``[secure]``)."""
    client = InMemoryHttpClient(lambda request: InMemoryResponse(), base_url="http://api.test")
    await client.get("http://u:s3cret@API.test:80/x?token=t0ken")
    (recorded,) = client.requests
    assert recorded.headers["host"] == "api.test"
    assert recorded.headers["authorization"] == "Basic dTpzM2NyZXQ="
    assert recorded.url == "http://u:s3cret@api.test/x?token=t0ken"  # as httpx's request.url
    shown = repr(recorded)
    assert "s3cret" not in shown
    assert "t0ken" not in shown
    assert "dTpzM2NyZXQ=" not in shown
    assert "[secure]" in shown


async def test_a_handlers_encoded_response_is_decoded_like_a_servers() -> None:
    """A handler stands for the server: its ``Content-Encoding`` is undone as httpx would."""
    packed = InMemoryResponse(content=gzip.compress(b"hello"), headers={"Content-Encoding": "gzip"})
    client = InMemoryHttpClient(lambda request: packed)
    response = await client.get("/")
    assert (response.content, response.text) == (b"hello", "hello")
    assert response.headers["content-encoding"] == "gzip"
    broken = InMemoryResponse(content=b"nope", headers={"Content-Encoding": "deflate"})
    with pytest.raises(SerializationError):
        await InMemoryHttpClient(lambda request: broken).get("/?token=s3cret")


async def test_an_ipv6_origin_is_served_with_its_host_and_port() -> None:
    client = InMemoryHttpClient(lambda request: InMemoryResponse(), base_url="http://[::1]:8080")
    await client.get("/x")
    assert client.requests[0].headers["host"] == "[::1]:8080"
