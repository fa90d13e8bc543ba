"""One daemon thread per process that ends blocked network calls at their deadline.

Socket timeouts bound each read: a peer that trickles its answer, or a middlebox that
acknowledges and never answers, keeps a call alive past any of them. An adapter
arms the socket of each call with the call's deadline (:meth:`Watchdog.arm`) and
disarms it when the call ends (:meth:`Watchdog.disarm`); when a deadline passes first, the
watchdog shuts the socket down, the blocked driver read fails at once, and
:meth:`~Watchdog.disarm` tells the adapter that the failure was the deadline's (it then
raises its timeout error). A call that ends in time costs a heap push and a lock; no
thread starts per call, and the thread ends after a minute without calls.

Used by the SQLAlchemy adapters (every round trip of an engine) and the sync Redis
executor (every command).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Final

__all__ = ["Watchdog", "watchdog"]


class _Armed:
    __slots__ = ("fd", "fired", "seconds", "sock")

    def __init__(self, fd: int, seconds: float, sock: socket.socket | None) -> None:
        self.fd = fd
        self.seconds = seconds
        self.sock = sock
        self.fired = False


class Watchdog:
    """One daemon thread that shuts down the sockets of calls past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Armed]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, target: socket.socket | int, seconds: float) -> _Armed:
        """Start the deadline of one call on a socket; :meth:`disarm` it when it ends.

        Give the socket object when the caller has it: a driver that closes the socket
        itself (its own read timeout) may do so before :meth:`disarm`, and a descriptor
        number could by then belong to another connection; a closed socket object
        shuts nothing down. A bare descriptor is for drivers that expose only that (and
        close it only after the call returns).
        """
        if isinstance(target, socket.socket):
            armed = _Armed(target.fileno(), seconds, target)
        else:
            armed = _Armed(target, seconds, None)
        entry = (time.monotonic() + seconds, next(self._order), armed)
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="serpens-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is entry:
                self._cond.notify()
        return armed

    def disarm(self, armed: _Armed) -> bool:
        """End a call's deadline; return whether it had fired (the socket is shut)."""
        with self._cond:
            fired = armed.fired
            armed.fd = -1
        return fired

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].fd < 0:
                    heapq.heappop(self._heap)  # ended in time
                if not self._heap:
                    self._cond.wait(60.0)
                    if not self._heap:
                        self._thread = None
                        return
                    continue
                due, _, armed = self._heap[0]
                left = due - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                armed.fired = True
                if armed.sock is not None:  # a closed socket object raises OSError: no harm
                    with contextlib.suppress(OSError):
                        armed.sock.shutdown(socket.SHUT_RDWR)
                    continue
                # Under the lock: the call has not ended, so its connection (and fd) is open.
                with contextlib.suppress(OSError):
                    sock = socket.socket(fileno=armed.fd)
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    finally:
                        sock.detach()  # the driver owns the descriptor


watchdog: Final = Watchdog()
"""The process's watchdog."""
