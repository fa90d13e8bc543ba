"""Serve a local test server on a thread for a block: the tests' own HTTP peers."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["serving"]

ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


@contextmanager
def serving(server: ServerT) -> Iterator[ServerT]:
    """Serve *server* on a thread until the block ends, then stop and close it."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
