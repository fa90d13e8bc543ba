"""InMemoryHttpClient's URLs as httpx sends them, checked beside the httpx adapter.

Each case runs through the fake and through ``HttpxHttpClient`` against a real local
server (uvicorn), so the fake's URL handling is pinned to what httpx does: dot segments
above the root, URLs httpx would misroute, the longest URL, a ``Location`` that is no
URL, the invalid-URL message, and a non-ASCII host (sent in its IDNA form).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import httpx
import pytest

from serpens.errors import BackendUnavailableError, ValidationError
from serpens.fakes import InMemoryHttpClient, InMemoryResponse
from serpens.ports import HttpClient
from serpens.testing import serve_asgi
from serpens_httpx import HttpxHttpClient

_MAX_URL = 65536  # httpx's limit: a URL of this length is sent, a longer one refused


async def _app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    """Echo the raw path and ``Host`` as JSON; ``/go`` redirects to a ``Location`` no URL."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/go":
        location = [(b"location", b"http://[::1/x")]
        await send({"type": "http.response.start", "status": 302, "headers": location})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = dict(scope["headers"])
    body = {"path": scope["raw_path"].decode(), "host": headers[b"host"].decode()}
    content_type = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": content_type})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


@pytest.fixture(name="base_url", scope="module")
def _base_url() -> Iterator[str]:
    with serve_asgi(_app) as base_url:
        yield base_url


@pytest.fixture(name="client", params=["fake", "httpx"])
async def _client(request: pytest.FixtureRequest, base_url: str) -> AsyncIterator[HttpClient]:
    client: HttpClient
    if request.param == "fake":
        client = InMemoryHttpClient(app=_app, base_url=base_url)
    else:
        client = HttpxHttpClient(base_url=base_url, timeout=10)
    async with client:
        yield client


@pytest.mark.parametrize(
    ("path", "sent"),
    [("/..//x", "//x"), ("/../x", "/x"), ("/a/..//x", "//x"), ("/../../", "/")],
)
async def test_a_dot_dot_above_the_root_is_dropped_and_the_rest_kept(
    client: HttpClient, base_url: str, path: str, sent: str
) -> None:
    """``..`` at the root goes, the empty segment after it stays (``/..//x`` is ``//x``)."""
    response = await client.get(base_url + path)
    assert response.json()["path"] == sent


@pytest.mark.parametrize("url", ["///echo", "//", "http://:80/echo", "http://user@/echo"])
async def test_a_url_without_both_a_scheme_and_a_host_is_an_invalid_url(
    client: HttpClient, url: str
) -> None:
    """httpx would send ``///x`` to the base URL and ``http://:80/x`` nowhere: refused."""
    with pytest.raises(ValidationError) as raised:
        await client.get(url)
    assert str(raised.value) == f"GET {url}: invalid URL"


async def test_the_invalid_url_message_names_the_method_in_capitals(client: HttpClient) -> None:
    with pytest.raises(ValidationError) as raised:
        await client.request("get", "ftp://u:s3cret@localhost/x?token=t0ken")
    assert str(raised.value) == "GET ftp://u:***@localhost/x?token=***: invalid URL"


async def test_a_url_of_httpxs_maximum_length_is_sent_and_a_longer_one_refused(
    client: HttpClient, base_url: str
) -> None:
    prefix = f"{base_url}/echo?q="
    # "a/" not "a": mask_url is slow on a long run without "/" (seconds at 64 KiB)
    longest = prefix + ("a/" * _MAX_URL)[: _MAX_URL - len(prefix)]
    assert len(longest) == _MAX_URL
    assert (await client.get(longest)).json()["path"] == "/echo"
    with pytest.raises(ValidationError):
        await client.get(longest + "a")


async def test_a_location_that_is_no_url_is_backend_unavailable(
    client: HttpClient, base_url: str
) -> None:
    """A broken server, not bad input: the message names the hop, its URL masked."""
    with pytest.raises(BackendUnavailableError) as raised:
        await client.get(f"{base_url}/go?token=s3cret", follow_redirects=True)
    where = f"GET {base_url}/go?token=***: "
    assert str(raised.value).startswith(where)
    if isinstance(client, InMemoryHttpClient):  # httpx names its RemoteProtocolError instead
        assert str(raised.value) == f"{where}invalid Location in the redirect"


async def test_a_non_ascii_host_is_sent_in_its_idna_form() -> None:
    """As httpx builds the request: URL and ``Host`` header carry the ``xn--`` name."""
    url = "http://bücher.example/x?q=1"
    built = httpx.Request("GET", url)
    assert built.headers["host"] == "xn--bcher-kva.example"
    fake = InMemoryHttpClient(lambda request: InMemoryResponse(), base_url="http://bücher.example")
    await fake.get(url)
    await fake.get("/y")
    first, second = fake.requests
    assert (first.url, first.headers["host"]) == (str(built.url), built.headers["host"])
    assert second.url == "http://xn--bcher-kva.example/y"
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as transport:
        await HttpxHttpClient(transport).get(url)
    assert (str(sent[0].url), sent[0].headers["host"]) == (first.url, first.headers["host"])
