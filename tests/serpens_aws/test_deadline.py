"""Each response of an AWS adapter's call arrives whole within its read timeout.

botocore's read timeout bounds each socket read, so a server answering a byte at a time
keeps a bare boto3 call alive for as long as it trickles. A local HTTP/1.1 server (keep
alive, over TCP or TLS) answers every request with an SQS JSON answer, at once or
trickled, so the tests choose exactly which part of the answer is late.
"""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import socket
import socketserver
import ssl
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Literal

import boto3
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from serpens.errors import BackendTimeoutError
from serpens_aws import AsyncSQSQueue, SQSQueue
from serpens_aws._deadline import _Cut, bound
from tests.serpens_aws._local_sqs import serving

Mode = Literal["whole", "trickled", "trickled_body", "trickled_unsized_body"]

READ_TIMEOUT = 0.5
EVERY = 0.05  # seconds between trickled bytes
# A loaded machine's scheduling; a call not cut would take the whole trickle (6.5 s).
SLACK = 1.0
# valid JSON for an empty receive: a body cut anywhere (or read as empty) is not it
BODY = b'{"Messages": [' + b" " * 120 + b"]}"


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:  # keep-alive: one connection, many requests
            line = self.rfile.readline()
            if not line:
                return
            length = 0
            while (header := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.rfile.read(length)
            if not self._answer(self.server.mode):
                return

    def _answer(self, mode: Mode) -> bool:
        unsized = mode == "trickled_unsized_body"
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
        length = b"Content-Length: %d\r\n" % len(BODY)
        head += (b"Connection: close\r\n" if unsized else length) + b"\r\n"
        try:
            if mode == "whole":
                self.wfile.write(head + BODY)
            elif mode == "trickled":
                self._trickle(head + BODY)
            else:
                self.wfile.write(head)
                self.wfile.flush()
                self._trickle(BODY)
        except OSError:  # the client gave up
            return False
        return not unsized

    def _trickle(self, data: bytes) -> None:
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(self.server.every)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode: Mode = "whole"
        self.every = EVERY
        self.accepted = 0
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.accepted += 1
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True)
        return sock, address

    @property
    def url(self) -> str:
        scheme = "http" if self.context is None else "https"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"


def _serve(context: ssl.SSLContext | None) -> Iterator[_Server]:
    with serving(_Server(context)) as server:
        yield server


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _serve(None)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[_Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    yield from _serve(context)


def _client(server: _Server, verify: str | bool = True, **config: Any) -> Any:
    """An SQS client of *server*: a 0.5 s read timeout and one attempt unless *config*."""
    settings: dict[str, Any] = {
        # a connect timeout apart from the read timeout: the deadline is the read one
        "connect_timeout": 3,
        "read_timeout": READ_TIMEOUT,
        "retries": {"total_max_attempts": 1},
    }
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        verify=verify,
        config=Config(**(settings | config)),
    )


def _queue(server: _Server, client: Any) -> SQSQueue:
    return SQSQueue(f"{server.url}/000000000000/orders", client)


def _times_out(queue: SQSQueue) -> float:
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError):
        queue.receive()
    return time.monotonic() - started


@pytest.mark.parametrize("mode", ["trickled", "trickled_body", "trickled_unsized_body"])
def test_a_trickled_answer_ends_the_call_at_its_read_timeout(server: _Server, mode: Mode) -> None:
    """The head, a sized body or a body read to the end: a cut answer is never a short one."""
    queue = _queue(server, _client(server))
    assert queue.receive() == []  # the whole answer: an empty receive
    server.mode = mode
    # 6.5 s trickled; each read gets its byte in 0.05 s, within the read timeout
    assert READ_TIMEOUT <= _times_out(queue) < READ_TIMEOUT + SLACK


def test_looking_a_queue_up_by_name_is_bounded_too(server: _Server) -> None:
    client = _client(server)  # built before the clock starts: it costs a loaded machine
    server.mode = "trickled"
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError):
        SQSQueue.from_name("orders", client)
    assert READ_TIMEOUT <= time.monotonic() - started < READ_TIMEOUT + SLACK


def test_a_trickled_answer_over_tls_ends_the_call_at_its_read_timeout(
    tls_server: _Server, certificate: tuple[Path, Path]
) -> None:
    queue = _queue(tls_server, _client(tls_server, verify=str(certificate[0])))
    assert queue.receive() == []
    tls_server.mode = "trickled"
    assert READ_TIMEOUT <= _times_out(queue) < READ_TIMEOUT + SLACK


async def test_the_async_queue_ends_a_trickled_answer_at_its_read_timeout(
    server: _Server,
) -> None:
    queue = AsyncSQSQueue(f"{server.url}/000000000000/orders", _client(server))
    server.mode = "trickled_body"
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError):
        await queue.receive()
    assert READ_TIMEOUT <= time.monotonic() - started < READ_TIMEOUT + SLACK


def test_the_owners_own_calls_on_a_shared_client_keep_botocores_timeouts(server: _Server) -> None:
    """Only the adapter's calls are bounded: the owner's direct calls read as botocore does."""
    client = _client(server)
    queue = _queue(server, client)
    server.mode, server.every = "trickled_body", 0.015  # 130 bytes, 2 s
    started = time.monotonic()
    answer = client.receive_message(QueueUrl=queue.queue_url)
    assert time.monotonic() - started > 3 * READ_TIMEOUT
    assert answer.get("Messages", []) == []


def test_a_client_used_before_the_adapter_gets_bounded_connections(server: _Server) -> None:
    """Connections the client pooled before (botocore's own) do not serve the adapter."""
    client = _client(server)
    client.receive_message(QueueUrl=f"{server.url}/000000000000/orders")  # pools one
    queue = _queue(server, client)
    server.mode = "trickled"
    assert READ_TIMEOUT <= _times_out(queue) < READ_TIMEOUT + SLACK


def test_a_call_in_time_leaves_its_pooled_connection_alive(server: _Server) -> None:
    """No deadline outlives its call: the idle connection is reused after the timeout."""
    client = _client(server)
    queue = _queue(server, client)
    assert queue.receive() == []
    time.sleep(READ_TIMEOUT + 0.3)
    assert queue.receive() == []
    _queue(server, client)  # a second adapter on the same client keeps its pool too
    assert queue.receive() == []
    for _ in range(2):  # the owner's calls on that connection, after the adapter's
        assert client.receive_message(QueueUrl=queue.queue_url).get("Messages", []) == []
    assert queue.receive() == []
    assert server.accepted == 1


def test_a_client_without_a_read_timeout_reads_unbounded(server: _Server) -> None:
    """No read timeout, no deadline to derive: the adapter's calls read as botocore does."""
    queue = _queue(server, _client(server, read_timeout=None))
    server.mode, server.every = "trickled_body", 0.01  # 130 bytes, 1.3 s
    assert queue.receive() == []


def test_a_cut_attempt_is_retried_like_a_read_timeout(server: _Server) -> None:
    """botocore retries the cut attempt on a fresh connection; every attempt is bounded."""
    client = _client(server, retries={"mode": "standard", "total_max_attempts": 2})
    queue = _queue(server, client)
    server.mode = "trickled"
    elapsed = _times_out(queue)
    # two attempts of 0.5 s each, plus botocore's back-off between them (at most 1 s)
    assert 2 * READ_TIMEOUT <= elapsed < 2 * READ_TIMEOUT + 1 + SLACK
    assert server.accepted == 2


def test_a_client_without_botocores_http_session_is_left_as_it_is() -> None:
    class Endpoint:
        http_session = object()

    class Client:
        _endpoint = Endpoint()

    client = Client()
    bound(client)
    assert client._endpoint.http_session is Endpoint.http_session
    bound(object())  # no endpoint at all: nothing to do, nothing raised

    class Foreign:  # another HTTP session, with an attribute of the same name
        _pool_classes_by_scheme: ClassVar[dict[str, type]] = {}

        def close(self) -> None:
            raise AssertionError("a foreign session is not touched")

    Endpoint.http_session = Foreign()
    bound(client)
    assert Foreign._pool_classes_by_scheme == {}


def test_each_read_of_an_answer_fails_once_its_deadline_has_passed() -> None:
    """Every reading method http.client may use passes reads through, then fails."""
    armed = SimpleNamespace(fired=False)
    reader = _Cut(io.BufferedReader(io.BytesIO(b"status\nheaders and body")), armed)
    assert reader.readline(3) == b"sta"
    assert reader.peek(1)[:1] == b"t"
    assert reader.read1(3) == b"tus"
    into = bytearray(2)
    assert reader.readinto(into) == 2
    assert into == b"\nh"
    assert reader.read(4) == b"eade"
    armed.fired = True  # the watchdog shut the socket: whatever a read returns is suspect
    for read in (reader.read, reader.read1, reader.readline, reader.peek):
        with pytest.raises(TimeoutError, match="within its read timeout"):
            read(1)
    with pytest.raises(TimeoutError):
        reader.readinto(bytearray(1))


@pytest.mark.parametrize(("fired", "error"), [(True, TimeoutError), (False, ConnectionResetError)])
def test_a_read_reset_after_its_deadline_fails_as_a_timeout(
    fired: bool, error: type[Exception]
) -> None:
    """Shut down while the peer still sends, a socket may read as reset, not end of file.

    Seen on the lowest-direct matrix: a trickled unsized body cut by the deadline failed
    as a reset (BackendUnavailableError). A reset before the deadline stays a reset.
    """
    with socket.create_server(("127.0.0.1", 0)) as server:
        ours = socket.create_connection(server.getsockname()[:2])
        peer, _ = server.accept()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()  # linger 0: a TCP RST
        with ours, ours.makefile("rb") as fp:
            with pytest.raises(error) as raised:
                _Cut(fp, SimpleNamespace(fired=fired)).read(1)
            assert fired == isinstance(raised.value, TimeoutError)
            assert fired == ("within its read timeout" in str(raised.value))
