"""A local Sentry ingest endpoint: a threaded HTTP server that the SDK sends envelopes to."""

from __future__ import annotations

import gzip
import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests._serving import serving


@contextmanager
def ingest(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """Serve *handler* on a free loopback port until the block ends."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield server


def dsn(server: ThreadingHTTPServer) -> str:
    """A DSN whose project 1 is *server*."""
    return f"http://public@127.0.0.1:{server.server_port}/1"


def envelope_items(encoding: str | None, body: bytes) -> list[tuple[str, bytes]]:
    """The type and payload of each item of a Sentry envelope, decompressed as it was sent.

    An envelope is a header line, then a header line and a payload line per item; the SDK
    sends other items than events too (sentry-sdk 3 more of them), so tests count events.
    """
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":  # sentry_sdk picks brotli when it is installed
        body = importlib.import_module("brotli").decompress(body)
    lines = body.split(b"\n")
    return [
        (json.loads(header).get("type", ""), payload)
        for header, payload in zip(lines[1::2], lines[2::2], strict=False)
        if header
    ]
