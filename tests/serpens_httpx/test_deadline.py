"""A request ends by its total deadline even when the server trickles its answer.

A real uvicorn server answers through a FaultProxy that forwards the response one small
slice every 0.2 s: each read of httpx gets data before its per-read timeout, so only a
total deadline ends the request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import httpx
import pytest

from serpens.errors import BackendTimeoutError
from serpens.http_client import HttpDeadlineError, close_client, get_client, init_client
from serpens.testing import FaultProxy, serve_asgi
from serpens_httpx import HttpxHttpClient
from serpens_httpx._deadline import DeadlineAsyncClient, total_seconds
from tests.serpens_httpx._apps import answering

_TIMEOUT = 0.5
_MARGIN = 0.5
_BODY = b"x" * 400


_app = answering(_BODY)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_asgi(_app, lifespan="off") as url:
        yield url


@pytest.fixture
def proxy(server_url: str) -> Iterator[FaultProxy]:
    port = httpx.URL(server_url).port
    assert port is not None
    with FaultProxy(upstream=("127.0.0.1", port)) as proxy:
        yield proxy


@pytest.fixture
def trickled(proxy: FaultProxy, server_url: str) -> str:
    """The server's URL through the proxy, answering 10 bytes every 0.2 s (8 s in all)."""
    proxy.trickle(nbytes=10, every=0.2, direction="downstream")
    return proxy.url_for(server_url)


@pytest.fixture
async def shared() -> AsyncIterator[httpx.AsyncClient]:
    yield await init_client(timeout=_TIMEOUT)
    await close_client()


async def _elapsed_raising(call: Awaitable[object], error: type[BaseException]) -> float:
    started = time.monotonic()
    with pytest.raises(error):
        await call
    return time.monotonic() - started


async def test_a_plain_httpx_client_outlives_its_timeout(trickled: str) -> None:
    """The defect the deadline fixes: per-read timeouts never fire on a trickle."""
    async with httpx.AsyncClient(timeout=_TIMEOUT) as plain:
        elapsed = await _elapsed_raising(asyncio.wait_for(plain.get(trickled), 1.2), TimeoutError)
    assert elapsed >= 1.2  # still reading at more than twice its timeout


async def test_the_adapter_raises_backend_timeout_by_its_timeout(trickled: str) -> None:
    async with HttpxHttpClient(timeout=_TIMEOUT) as client:
        elapsed = await _elapsed_raising(client.get(trickled), BackendTimeoutError)
    assert _TIMEOUT <= elapsed < _TIMEOUT + _MARGIN


async def test_a_per_request_timeout_is_the_deadline(trickled: str) -> None:
    async with HttpxHttpClient(timeout=30) as client:
        elapsed = await _elapsed_raising(
            client.get(trickled, timeout=_TIMEOUT), BackendTimeoutError
        )
    assert elapsed < _TIMEOUT + _MARGIN


async def test_a_callers_plain_client_is_bounded_by_the_adapter(trickled: str) -> None:
    async with httpx.AsyncClient(timeout=_TIMEOUT) as raw:
        client = HttpxHttpClient(raw)
        elapsed = await _elapsed_raising(client.get(trickled), BackendTimeoutError)
        assert not raw.is_closed  # still usable after a cancelled request
    assert elapsed < _TIMEOUT + _MARGIN


async def test_a_per_request_timeout_bounds_a_callers_plain_client(trickled: str) -> None:
    """The call's ``timeout=``, not the plain client's own, is the adapter's deadline."""
    async with httpx.AsyncClient(timeout=30) as raw:
        client = HttpxHttpClient(raw)
        elapsed = await _elapsed_raising(
            client.get(trickled, timeout=_TIMEOUT), BackendTimeoutError
        )
    assert elapsed < _TIMEOUT + _MARGIN


async def test_the_shared_client_has_a_total_deadline(
    shared: httpx.AsyncClient, trickled: str, traced: bool
) -> None:
    """The shared client's own error names the masked request and its deadline.

    No adapter wraps it here, so its message is the one code catching
    ``httpx.TimeoutException`` logs: ``METHOD <masked url> exceeded ...``, traced or not.
    """
    assert get_client() is shared
    secret_url = trickled.replace("http://", "http://svc:s3cret@") + "/orders?token=t0ken"
    started = time.monotonic()
    with pytest.raises(HttpDeadlineError) as caught:
        await shared.get(secret_url)
    assert time.monotonic() - started < _TIMEOUT + _MARGIN
    # both families of handlers catch it
    assert isinstance(caught.value, httpx.TimeoutException)
    assert isinstance(caught.value, BackendTimeoutError)
    masked = trickled.replace("http://", "http://svc:***@") + "/orders?token=***"
    assert str(caught.value) == f"GET {masked} exceeded its total deadline of 0.5 s"


async def test_the_shared_client_recovers_when_the_server_speeds_up(
    shared: httpx.AsyncClient, proxy: FaultProxy, trickled: str
) -> None:
    with pytest.raises(HttpDeadlineError):
        await shared.get(trickled)
    proxy.heal()
    response = await shared.get(trickled)
    assert response.content == _BODY


async def test_a_fast_answer_is_untouched(proxy: FaultProxy, server_url: str) -> None:
    async with HttpxHttpClient(timeout=_TIMEOUT) as client:
        response = await client.get(proxy.url_for(server_url))
    assert response.content == _BODY


async def test_a_timeout_error_of_the_callers_own_code_is_not_the_deadline(
    server_url: str,
) -> None:
    """A ``TimeoutError`` that the deadline did not cause passes through unchanged.

    A request hook whose own ``asyncio.timeout`` (an auth token fetch, say) ends at once,
    well within the request's 0.5 s: calling that ``HttpDeadlineError`` would blame a
    fast server and name a deadline that never passed.
    """

    async def slow_token(request: httpx.Request) -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)

    hooks = {"request": [slow_token]}
    async with DeadlineAsyncClient(timeout=_TIMEOUT, event_hooks=hooks) as client:
        with pytest.raises(TimeoutError) as caught:
            await client.get(server_url)
    assert type(caught.value) is TimeoutError


async def test_the_deadline_message_masks_credentials(proxy: FaultProxy, trickled: str) -> None:
    secret_url = trickled.replace("http://", "http://user:s3cret@")
    async with HttpxHttpClient(timeout=_TIMEOUT) as client:
        with pytest.raises(BackendTimeoutError) as caught:
            await client.get(secret_url)
    chain = f"{caught.value} {caught.value.__cause__}"
    assert "s3cret" not in chain


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, None),
        (2, 2.0),
        (httpx.Timeout(1.0, connect=3.0), 3.0),
        (httpx.Timeout(1.0, read=None), None),  # an unbounded read asks for no deadline
        ({"connect": 1.0, "read": 2.0, "write": 1.0, "pool": 1.0}, 2.0),
    ],
)
def test_the_deadline_is_the_largest_timeout(timeout: Any, expected: float | None) -> None:
    assert total_seconds(timeout) == expected
