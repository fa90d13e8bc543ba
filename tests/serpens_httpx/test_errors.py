"""Each httpx failure becomes its serpens error with a message naming the masked request.

The contract checks the error types and that no secret leaks; these adapter tests pin the
message of each row of ``serpens_httpx._errors._TABLE`` (``METHOD <masked url>: what``)
and the httpx exception kept as its cause, on a real local uvicorn server. A read timeout
shorter than the total deadline and a body that cannot be decoded are reached here only:
the contract's slow server ends by the deadline and its scenario sends no encoded body.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    SerializationError,
    ValidationError,
)
from serpens.testing import serve_asgi
from serpens_contract.http import scenario_app
from serpens_httpx import HttpxHttpClient
from tests.serpens_httpx._apps import answering

# a body that claims to be gzip-encoded but is not
_bad_gzip = answering(
    b"this is not gzip", [(b"content-encoding", b"gzip"), (b"content-type", b"text/plain")]
)


@pytest.fixture(name="base_url", scope="module")
def _base_url() -> Iterator[str]:
    with serve_asgi(scenario_app) as url:
        yield url


async def test_a_read_timeout_before_the_deadline_is_a_backend_timeout_naming_the_request(
    base_url: str,
) -> None:
    """httpx's own per-read timeout (0.2 s) fires well before the 5 s total deadline."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=0.2)) as raw:
        with pytest.raises(BackendTimeoutError) as info:
            await HttpxHttpClient(raw).get(f"{base_url}/sleep?seconds=3&token=s3cret")
    assert str(info.value) == f"GET {base_url}/sleep?seconds=3&token=*** timed out"
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_an_http_error_no_row_maps_passes_through_unchanged(base_url: str) -> None:
    """A caller's response hook calling ``raise_for_status`` raises httpx's own error."""

    async def raise_for_status(response: httpx.Response) -> None:
        response.raise_for_status()

    hooks = {"response": [raise_for_status]}
    async with httpx.AsyncClient(timeout=5, event_hooks=hooks) as raw:
        with pytest.raises(httpx.HTTPStatusError) as info:
            await HttpxHttpClient(raw).get(f"{base_url}/status/503")
    assert info.value.response.status_code == 503


async def test_a_redirect_loop_is_a_backend_error_naming_the_request(base_url: str) -> None:
    async with HttpxHttpClient(timeout=5) as client:
        with pytest.raises(BackendError) as info:
            await client.get(f"{base_url}/loop?api_key=s3cret", follow_redirects=True)
    assert str(info.value) == f"GET {base_url}/loop?api_key=***: too many redirects"
    assert isinstance(info.value.__cause__, httpx.TooManyRedirects)


async def test_a_presigned_urls_signature_and_key_never_reach_the_error(base_url: str) -> None:
    """S3's ``X-Amz-Signature``/``X-Amz-Credential``, Azure's ``sig`` and Google's ``key``."""
    query = "X-Amz-Credential=AKIAS3CRET&X-Amz-Signature=S1GS3CRET&sig=SASS3CRET&key=AIzaS3CRET"
    async with HttpxHttpClient(timeout=5) as client:
        with pytest.raises(BackendError) as info:
            await client.get(f"{base_url}/loop?{query}", follow_redirects=True)
    masked = "X-Amz-Credential=***&X-Amz-Signature=***&sig=***&key=***"
    assert str(info.value) == f"GET {base_url}/loop?{masked}: too many redirects"
    assert "S3CRET" not in repr(info.value)


async def test_an_invalid_url_is_a_validation_error_naming_the_masked_url() -> None:
    async with HttpxHttpClient(timeout=1) as client:
        with pytest.raises(ValidationError) as info:
            await client.post("ftp://user:s3cret@localhost/echo?token=t0ken")
    assert str(info.value) == "POST ftp://user:***@localhost/echo?token=***: invalid URL"
    assert isinstance(info.value.__cause__, httpx.UnsupportedProtocol)


async def test_a_body_that_cannot_be_decoded_is_a_serialization_error() -> None:
    with serve_asgi(_bad_gzip, lifespan="off") as url:
        async with HttpxHttpClient(timeout=5) as client:
            with pytest.raises(SerializationError) as info:
                await client.get(f"{url}/x?token=s3cret")
    expected = f"GET {url}/x?token=***: the response body could not be decoded"
    assert str(info.value) == expected
    assert isinstance(info.value.__cause__, httpx.DecodingError)


async def test_a_refused_connection_is_backend_unavailable_naming_the_httpx_error() -> None:
    with socket.socket() as sock:  # bound then closed: a free loopback port that refuses
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://svc:s3cret@127.0.0.1:{port}/echo"
    async with HttpxHttpClient(timeout=5) as client:
        with pytest.raises(BackendUnavailableError) as info:
            await client.request("delete", url)  # the message names it in capitals
    assert str(info.value) == f"DELETE http://svc:***@127.0.0.1:{port}/echo: ConnectError"
    assert isinstance(info.value.__cause__, httpx.ConnectError)
