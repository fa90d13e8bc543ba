"""A local HTTP server answering SQS's JSON protocol as a test scripts it.

For answers moto never gives (entries failed on SQS's side, SQS's own error codes): a
test subclasses :class:`LocalSQS` with its request handler, and :func:`serving` runs it on
a loopback port for the test's duration, stopping it afterwards (any local server of
these tests: the deadline tests' trickling server too).
"""

from __future__ import annotations

import http.server
import json
from typing import Any

import boto3
from botocore.config import Config

from serpens_aws import SQSQueue
from tests._serving import serving

__all__ = ["LocalSQS", "SQSHandler", "serving"]


class SQSHandler(http.server.BaseHTTPRequestHandler):
    """A handler for :class:`LocalSQS`: :meth:`request_json` in, :meth:`answer` out, quiet."""

    protocol_version = "HTTP/1.1"

    def request_json(self) -> Any:
        """The request's JSON body."""
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def answer(self, status: int, payload: object, **headers: str) -> None:
        """Send *payload* as SQS's JSON protocol does, with extra *headers*."""
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


class LocalSQS(http.server.ThreadingHTTPServer):
    """A loopback server with *handler*; :meth:`queue` is an ``SQSQueue`` pointed at it."""

    daemon_threads = True

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)

    def queue(self) -> SQSQueue:
        """A queue on this server, one attempt per call (botocore retries nothing)."""
        url = f"http://127.0.0.1:{self.server_address[1]}"
        client = boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        return SQSQueue(f"{url}/000000000000/orders", client)
