"""Which headers the fake's redirect hops carry, compared with httpx's own redirect logic.

The HTTP contract follows redirects between origins of one real server (one scheme,
ports the test picked). Upgrades from ``http`` to ``https`` between the default ports 80
and 443 cannot be served on loopback without binding privileged ports, so here httpx's
client runs its real redirect code over ``httpx.MockTransport`` (its network layer only)
and each hop's headers are compared with the fake's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from serpens.fakes import InMemoryHttpClient, InMemoryResponse, RecordedRequest

HOPS = [
    ("http://a.test/x", "https://a.test/y"),  # an upgrade on the default ports: auth kept
    ("http://a.test:80/x", "https://a.test:443/y"),  # the same, ports spelled out
    ("http://a.test/x", "https://a.test:8443/y"),  # not the https default port
    ("http://a.test:8080/x", "https://a.test/y"),  # not from the http default port
    ("https://a.test/x", "http://a.test/y"),  # a downgrade
    ("http://a.test/x", "https://b.test/y"),  # another host
    ("http://a.test/x", "http://b.test/y"),
    ("http://a.test/x", "http://a.test/y"),  # the same origin
]
SENT = {"Authorization": "Bearer t", "Cookie": "s=1", "X-Keep": "k", "Content-Length": "3"}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _kept(headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
    names = ["authorization", "cookie", "x-keep", "content-length", "content-type"]
    lowered = {k.lower(): v for k, v in headers.items()}
    return {name: lowered[name] for name in names if name in lowered}


async def _httpx_hop(old: str, new: str, status: int) -> dict[str, str]:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(status, headers={"Location": new})
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        await client.post(old, content=b"abc", headers=SENT, follow_redirects=True)
    assert seen[1].url.path == "/y"
    return _kept(seen[1].headers)


async def _fake_hop(old: str, new: str, status: int) -> dict[str, str]:
    seen: list[RecordedRequest] = []

    def serve(request: RecordedRequest) -> InMemoryResponse:
        seen.append(request)
        if len(seen) == 1:
            return InMemoryResponse(status, headers={"Location": new})
        return InMemoryResponse(200)

    client = InMemoryHttpClient(serve, base_url=_origin(old), other_origins=[_origin(new)])
    await client.post(old, content=b"abc", headers=SENT, follow_redirects=True)
    assert seen[1].path == "/y"
    return _kept(dict(seen[1].headers.raw()))


class TestInMemoryHttpClientRedirectHeaders:
    """Authorization, Cookie and Content-Length on each hop, as httpx sends them."""

    @pytest.mark.parametrize("status", [302, 303, 307])
    @pytest.mark.parametrize(("old", "new"), HOPS)
    async def test_a_hop_carries_the_headers_httpx_sends(
        self, old: str, new: str, status: int
    ) -> None:
        assert await _fake_hop(old, new, status) == await _httpx_hop(old, new, status)


def _body_and_headers(method: str) -> tuple[bytes | None, dict[str, str]]:
    """A body for all but GET and HEAD; their Content-Length: 3 would be a lie (refused)."""
    if method in {"GET", "HEAD"}:
        return None, {k: v for k, v in SENT.items() if k != "Content-Length"}
    return b"abc", SENT


async def _httpx_method_hop(method: str, status: int) -> tuple[str, dict[str, str], bytes]:
    seen: list[httpx.Request] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(status, headers={"Location": "/y"})
        return httpx.Response(200)

    content, headers = _body_and_headers(method)
    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        await client.request(
            method, "http://a.test/x", content=content, headers=headers, follow_redirects=True
        )
    hop = seen[1]
    return hop.method, _kept(hop.headers), hop.read()


async def _fake_method_hop(method: str, status: int) -> tuple[str, dict[str, str], bytes]:
    seen: list[RecordedRequest] = []

    def serve(request: RecordedRequest) -> InMemoryResponse:
        seen.append(request)
        if len(seen) == 1:
            return InMemoryResponse(status, headers={"Location": "/y"})
        return InMemoryResponse(200)

    content, headers = _body_and_headers(method)
    client = InMemoryHttpClient(serve, base_url="http://a.test")
    await client.request(method, "/x", content=content, headers=headers, follow_redirects=True)
    hop = seen[1]
    return hop.method, _kept(dict(hop.headers.raw())), hop.content


class TestInMemoryHttpClientRedirectMethods:
    """Which method and body each redirect status gives the next hop, as in httpx.

    303 turns anything but ``HEAD`` into a body-less ``GET``, so does 302 (as browsers
    do); 301 does it to ``POST`` only; 307 and 308 repeat the request as it was. A
    ``Content-Length`` the caller set goes with the body.
    """

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    @pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
    async def test_a_hop_has_the_method_and_body_httpx_sends(
        self, method: str, status: int
    ) -> None:
        fake = await _fake_method_hop(method, status)
        assert fake == await _httpx_method_hop(method, status)
