"""A raw TCP echo server and the fixtures of the FaultProxy tests built on it."""

from __future__ import annotations

import socket
import threading

__all__ = ["EchoServer", "roundtrip"]


class EchoServer:
    """A raw TCP echo server on 127.0.0.1 (one thread per connection)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.sock.getsockname()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._echo, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                if data.startswith(b"BIG"):
                    conn.sendall(b"x" * int(data[3:]))
                else:
                    conn.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._accepter.join(2)
        for conn in self._conns:
            conn.close()
        for thread in self._threads:
            thread.join(2)


def roundtrip(sock: socket.socket, data: bytes = b"ping") -> bytes:
    """Send *data* and return the first chunk that comes back."""
    sock.sendall(data)
    return sock.recv(65536)
