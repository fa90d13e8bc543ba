"""FaultProxy at its edges: its waits, its counters, and listening again after a refuse.

A proxy whose pump kept sleeping through a reset, or spun while frozen, would still pass
the fault tests of ``test_fault_proxy.py``: a client times out either way. These pin what
a test suite relies on beyond that: a reset reaches a connection at once whatever it was
waiting for, a frozen connection costs no CPU, each argument's boundary is accepted, the
counters add up over several connections, and a port taken while refusing is an error.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from serpens.errors import BackendUnavailableError
from serpens.testing import Fault, FaultProxy
from tests.serpens.testing._echo import EchoServer, roundtrip


def _receive(sock: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = sock.recv(65536)
        assert chunk, "the proxy closed the connection"
        received += chunk
    return received


def test_the_smallest_latency_and_trickle_are_accepted(
    proxy: FaultProxy, client: socket.socket
) -> None:
    with proxy.latency(0):
        assert proxy.fault is Fault.LATENCY
        assert roundtrip(client) == b"ping"
    with proxy.trickle(1, 0):  # a byte at a time, no pause
        assert proxy.fault is Fault.TRICKLE
        client.sendall(b"ping")
        assert _receive(client, 4) == b"ping"
    assert proxy.fault is Fault.PASS


def test_a_trickle_can_slow_one_direction_only(proxy: FaultProxy, client: socket.socket) -> None:
    assert roundtrip(client) == b"ping"  # warm: the link exists
    with proxy.trickle(nbytes=2, every=0.2, direction="upstream"):
        started = time.monotonic()
        client.sendall(b"ping")  # two slices up, 0.2 s apart
        assert _receive(client, 4) == b"ping"
        assert time.monotonic() - started >= 0.19
    with proxy.trickle(nbytes=1000, every=0.3, direction="upstream"):
        started = time.monotonic()
        client.sendall(b"BIG5000")  # one slice up; five 0.3 s slices down if both were slowed
        assert _receive(client, 5000) == b"x" * 5000
        # at most the 0.2 s pause the upstream pump may still be in, not four of 0.3 s
        assert time.monotonic() - started < 0.9


def test_a_reset_ends_a_connection_waiting_out_its_latency_at_once(
    proxy: FaultProxy, client: socket.socket
) -> None:
    assert roundtrip(client) == b"ping"
    proxy.latency(30_000)
    client.settimeout(10)
    client.sendall(b"held")
    time.sleep(0.3)  # the pump now waits its 30 s before forwarding
    started = time.monotonic()
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        client.recv(65536)
    assert time.monotonic() - started < 1.5  # not the 2 s join, not the 30 s latency
    assert proxy.stats().resets == 1


def test_a_frozen_connection_holding_data_costs_no_cpu(
    proxy: FaultProxy, client: socket.socket
) -> None:
    assert roundtrip(client) == b"ping"
    with proxy.freeze():
        client.sendall(b"held")  # readable at the proxy all the while it is frozen
        time.sleep(0.1)
        cpu = time.process_time()
        time.sleep(1.0)
        spent = time.process_time() - cpu
    # the process's CPU: a pump polling its readable socket in a loop would take a core
    assert spent < 0.5, f"the process used {spent:.2f} s of CPU in 1 s while frozen"
    assert _receive(client, 4) == b"held"  # healed: what it held is delivered


def _until(condition: object, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_counters_add_up_over_connections_and_resets(echo: EchoServer) -> None:
    with FaultProxy(upstream=echo.address, max_connections=2) as proxy:
        first = socket.create_connection(proxy.address, timeout=1)
        second = socket.create_connection(proxy.address, timeout=1)
        for sock in (first, second, first):
            assert roundtrip(sock, b"hello") == b"hello"
        stats = proxy.stats()
        assert (stats.accepted, stats.open) == (2, 2)
        assert (stats.bytes_to_upstream, stats.bytes_to_client) == (15, 15)
        with (
            pytest.raises(ConnectionResetError),
            socket.create_connection(proxy.address, 1) as over,
        ):
            roundtrip(over)  # beyond the bound of 2: reset, and counted once
        assert proxy.stats().resets == 1
        proxy.reset()  # the two open connections: two more, and both forgotten
        assert _until(lambda: proxy.stats().open == 0)
        assert (proxy.stats().accepted, proxy.stats().resets) == (3, 3)
        first.close()
        second.close()


def test_a_refuse_held_past_the_poll_interval_heals(proxy: FaultProxy) -> None:
    with proxy.refuse():
        time.sleep(0.7)  # longer than the acceptor's 0.5 s poll: it keeps waiting
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=1)
    with socket.create_connection(proxy.address, timeout=1) as sock:
        assert roundtrip(sock) == b"ping"


def test_a_port_taken_while_refusing_makes_healing_an_error(proxy: FaultProxy) -> None:
    proxy.refuse()
    squatter = socket.create_server(proxy.address)  # another process took the port
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match=f"port {proxy.port}"):
            proxy.heal()
        assert time.monotonic() - started < 1.5  # told at once, not after the 2 s wait
    finally:
        squatter.close()
    proxy.heal()  # free again: it listens
    with socket.create_connection(proxy.address, timeout=1) as sock:
        assert roundtrip(sock) == b"ping"


def test_two_proxies_run_side_by_side_and_a_stopped_one_starts_healed(echo: EchoServer) -> None:
    with FaultProxy(upstream=echo.address) as one, FaultProxy(upstream=echo.address) as two:
        assert one.port != two.port
        one.freeze()
        one.stop()
        assert (one.running, one.fault) == (False, Fault.PASS)
        one.start()  # a new port, passing everything through
        for proxy in (one, two):
            with socket.create_connection(proxy.address, timeout=1) as sock:
                assert roundtrip(sock) == b"ping"


def test_a_servers_orderly_close_reaches_the_client_as_one() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    with server, FaultProxy(upstream=server.getsockname()) as closing:

        def answer_and_close() -> None:
            conn, _ = server.accept()
            with conn:
                while conn.recv(65536):  # until the client's half-close arrives
                    pass
                conn.sendall(b"bye")

        thread = threading.Thread(target=answer_and_close, daemon=True)
        thread.start()
        with socket.create_connection(closing.address, timeout=2) as sock:
            sock.sendall(b"done")
            sock.shutdown(socket.SHUT_WR)  # passed on as a half-close, not a reset
            assert _receive(sock, 3) == b"bye"
            assert sock.recv(65536) == b""  # FIN, not RST
        thread.join(2)
        assert _until(lambda: closing.stats().open == 0)
        assert closing.stats().resets == 0


def test_a_server_resetting_a_connection_resets_the_clients() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    with server, FaultProxy(upstream=server.getsockname()) as proxy:

        def reset_at_once() -> None:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # a crash: RST, not FIN

        thread = threading.Thread(target=reset_at_once, daemon=True)
        thread.start()
        with socket.create_connection(proxy.address, timeout=2) as sock:
            sock.sendall(b"ping")
            with pytest.raises(ConnectionResetError):
                sock.recv(65536)
        thread.join(2)


def test_an_upstream_that_never_answers_the_connect_is_a_reset_after_2_s(
    silent: tuple[str, int],
) -> None:
    with FaultProxy(upstream=silent) as proxy:
        with socket.create_connection(proxy.address, timeout=8) as sock:
            started = time.monotonic()
            sock.sendall(b"ping")
            with pytest.raises(ConnectionResetError):
                sock.recv(65536)
            assert 1.5 <= time.monotonic() - started < 5  # its 2 s connect timeout
        assert _until(lambda: proxy.stats().resets == 1)  # counted as the link closes


def test_a_proxy_never_stopped_does_not_keep_the_process_alive(echo: EchoServer) -> None:
    # its threads are daemon threads: a test process that forgot stop() still exits
    code = (
        "import socket, sys\n"
        "from serpens.testing import FaultProxy\n"
        f"proxy = FaultProxy(upstream=('127.0.0.1', {echo.address[1]})).start()\n"
        "sock = socket.create_connection(proxy.address, timeout=2)\n"
        "sock.sendall(b'ping'); assert sock.recv(64) == b'ping'\n"
        "print('exiting', flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stdout) == (0, "exiting\n"), done.stderr
