"""A deadline on a whole sync Redis command, not on each socket read.

redis-py's sync client gives ``socket_timeout`` to every ``recv``: a server (or a link)
that trickles its reply a few bytes at a time keeps a command alive for as long as it
likes, while the asyncio client bounds the whole read. :data:`DEADLINES` closes the gap
for the sync executor: each command registers its connection with a deadline of
``socket_timeout`` seconds from its start; one daemon thread, started on first use and
idle while nothing is in flight, shuts down the socket of a command still running past
its deadline. The blocked read then fails at once, the connection is discarded as after
any socket error, and the executor raises ``redis.TimeoutError``.

A command costs one uncontended lock round and a dict insert and removal.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

__all__ = ["DEADLINES", "Deadlines"]

_TICK = 0.02  # seconds between two looks at the commands in flight


class Deadlines:
    """Commands in flight on sync connections, each ended at its deadline."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Empty, without a thread: at creation, and in a forked child (no thread there)."""
        self._lock = threading.Lock()
        self._busy: dict[Any, float] = {}  # connection -> deadline (monotonic)
        self._expired: set[Any] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, connection: Any) -> None:
        """*connection* begins a command; it must end within its ``socket_timeout``."""
        timeout = connection.socket_timeout
        if timeout is None:  # no timeout configured: nothing to bound
            return
        deadline = time.monotonic() + timeout
        with self._lock:
            self._busy[connection] = deadline
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="serpens-redis-deadlines", daemon=True
                )
                self._thread.start()
        if not self._wake.is_set():
            self._wake.set()

    def finish(self, connection: Any) -> bool:
        """*connection*'s command ended; whether its deadline had cut it short."""
        with self._lock:
            self._busy.pop(connection, None)
            if connection in self._expired:
                self._expired.discard(connection)
                return True
            return False

    def _watch(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(_TICK)
            now = time.monotonic()
            with self._lock:
                late = [c for c, deadline in self._busy.items() if deadline <= now]
                for connection in late:
                    del self._busy[connection]
                    self._expired.add(connection)
                    _shut_down(connection)
                if not self._busy:
                    self._wake.clear()


def _shut_down(connection: Any) -> None:
    """Make *connection*'s blocked read return: shut its socket down both ways."""
    sock = getattr(connection, "_sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed by its own thread
        sock.shutdown(socket.SHUT_RDWR)


DEADLINES = Deadlines()
os.register_at_fork(after_in_child=DEADLINES._reset)  # noqa: SLF001 - its own reset
