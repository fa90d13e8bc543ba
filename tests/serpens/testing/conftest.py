"""Fixtures of the FaultProxy tests: an echo server, a proxy in front of it, a client."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from serpens.testing import FaultProxy
from tests.serpens.testing._echo import EchoServer


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    """A raw TCP echo server on 127.0.0.1; ``BIG<n>`` answers *n* bytes."""
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def proxy(echo: EchoServer) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the echo server, passing everything through."""
    with FaultProxy(upstream=echo.address) as proxy:
        yield proxy


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[socket.socket]:
    """A socket connected through the proxy, with a 1 s timeout."""
    with socket.create_connection(proxy.address, timeout=1) as sock:
        yield sock
