"""Inject network faults between a client and a real server with FaultProxy."""

import socket
import threading
import time

from serpens.testing import FaultProxy


def echo(connection: socket.socket) -> None:
    with connection:
        try:
            while data := connection.recv(65536):
                connection.sendall(data)
        except ConnectionResetError:  # the proxy's reset reaches the server too
            pass


def echo_forever(server: socket.socket) -> None:
    """A tiny echo server standing in for PostgreSQL, Redis or an HTTP API."""
    while True:
        try:
            connection, _ = server.accept()
        except OSError:  # the server socket was closed
            return
        threading.Thread(target=echo, args=(connection,), daemon=True).start()


server = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=echo_forever, args=(server,), daemon=True).start()

with FaultProxy(upstream=server.getsockname()) as proxy:
    # a client library would take proxy.url_for("redis://127.0.0.1:6379/0") instead
    client = socket.create_connection(proxy.address, timeout=0.5)

    client.sendall(b"ping")
    assert client.recv(4) == b"ping"

    with proxy.latency(100):  # 100 ms each way, for this block only
        started = time.monotonic()
        client.sendall(b"slow")
        assert client.recv(4) == b"slow"
        assert time.monotonic() - started >= 0.2

    with proxy.freeze():  # the connection stays open, nothing comes back
        client.sendall(b"held")
        try:
            client.recv(4)
        except TimeoutError:
            print("frozen: the read timed out")
    assert client.recv(4) == b"held"  # thawed: the held bytes arrive

    with proxy.reset():  # TCP RST on every open connection, and on new ones
        try:
            client.sendall(b"gone")
            client.recv(4)
        except ConnectionResetError:
            print("reset: ConnectionResetError")
        client.close()

    with proxy.refuse():  # the port stops listening
        try:
            socket.create_connection(proxy.address, timeout=0.5)
        except ConnectionRefusedError:
            print("refused: ConnectionRefusedError")

    with socket.create_connection(proxy.address, timeout=0.5) as healed:  # same port again
        healed.sendall(b"back")
        assert healed.recv(4) == b"back"
    print(proxy.stats())

server.close()
