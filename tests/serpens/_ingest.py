"""A local Sentry ingest endpoint: a threaded HTTP server that the SDK sends envelopes to."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def ingest(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """Serve *handler* on a free loopback port until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def dsn(server: ThreadingHTTPServer) -> str:
    """A DSN whose project 1 is *server*."""
    return f"http://public@127.0.0.1:{server.server_port}/1"
