"""FaultProxy: a loopback TCP proxy that injects network faults in front of a test server.

Modelled on Toxiproxy's toxics, without a daemon or a client library: the proxy runs in
background threads of the test process, so sync and async clients (psycopg2, asyncpg,
redis-py, httpx, boto3, ...) all go through it over real sockets, and a test's event loop is
never blocked. Every fault can be switched while connections are open.

The faults, modes and counters are in :mod:`serpens.testing._fault_modes`, one proxied
connection and its pumps in :mod:`serpens.testing._fault_link`.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from serpens.errors import BackendUnavailableError, ValidationError
from serpens.testing._common import LOOPBACK
from serpens.testing._fault_link import _Link
from serpens.testing._fault_modes import (
    _CHUNK,
    _JOIN_S,
    _POLL_MS,
    _READ,
    _RST,
    Direction,
    Fault,
    FaultStats,
    _checked,
    _Mode,
)

__all__ = ["Direction", "Fault", "FaultProxy", "FaultScope", "FaultStats"]


class FaultScope:
    """The fault just switched on; leaving a ``with`` block restores the previous one.

    Every fault method of :class:`FaultProxy` returns one, so a fault can be set for the
    rest of a test (``proxy.freeze()``) or for a block (``with proxy.freeze(): ...``).
    """

    def __init__(self, proxy: FaultProxy, previous: _Mode) -> None:
        self._proxy = proxy
        self._previous = previous

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proxy.running:
            self._proxy._set(self._previous)  # noqa: SLF001 - the scope belongs to the proxy


class FaultProxy:
    """A TCP proxy on 127.0.0.1 whose faults a test switches while clients are connected.

    Start it in front of any server, point the client at :attr:`address` (or at
    :meth:`url_for` of the server's URL), then inject faults. Each fault method applies to
    open and new connections at once, returns a :class:`FaultScope` (use it in ``with`` to
    restore the previous fault), and the proxy starts in pass-through mode:

    - :meth:`heal`: forward everything (pass-through).
    - :meth:`latency`: add *ms* milliseconds before each chunk, in each direction (or
      one: ``direction="upstream"`` or ``"downstream"``).
    - :meth:`trickle`: forward at most *nbytes* every *every* seconds, likewise.
    - :meth:`freeze`: forward nothing either way; connections stay open, new ones are
      accepted and never answered. Clients block until their own timeout.
    - :meth:`blackhole`: read everything and drop it silently, in both directions.
    - :meth:`reset`: close every connection with a TCP RST, and reset new ones at once.
    - :meth:`refuse`: stop listening, so connects are refused (and reset open connections);
      another fault method listens again on the same port.

    The proxy is bounded (at most *max_connections* at once; further ones are reset) and
    listens on loopback only. :meth:`stop` (or leaving the ``with`` block) closes every
    socket and joins every thread.

    Args:
        upstream: ``(host, port)`` of the server.
        max_connections: connections open at once; more are reset.

    Raises:
        ValidationError: *upstream* or *max_connections* is invalid.
    """

    def __init__(self, upstream: tuple[str, int], *, max_connections: int = 128) -> None:
        host, port = upstream
        if not isinstance(host, str) or not host or not isinstance(port, int):
            raise ValidationError("upstream must be a (host, port) tuple")
        if not 0 < port < 65536:  # noqa: PLR2004 - the TCP port range
            raise ValidationError(f"upstream port {port} is not a TCP port")
        if max_connections < 1:
            raise ValidationError("max_connections must be >= 1")
        self.upstream: tuple[str, int] = (host, port)
        self.max_connections = max_connections
        self._cond = threading.Condition()
        self._mode = _Mode(Fault.PASS)
        self._links: set[_Link] = set()
        self._listener: socket.socket | None = None
        self._port = 0
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = False
        self._listening = False
        self._bind_error: OSError | None = None
        self._counts = dict.fromkeys(("accepted", "up", "down", "swallowed", "resets"), 0)

    # -- lifecycle -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the proxy has been started and not stopped."""
        return self._thread is not None

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1 and start forwarding; returns the proxy."""
        if self._thread is not None:
            return self
        self._stopping = False
        self._listener = self._bind(0)
        self._port = self._listener.getsockname()[1]
        self._listening = True
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._accept_loop, name="serpens-fault", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and join all threads; idempotent."""
        thread = self._thread
        if thread is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._wake()
        thread.join(_JOIN_S)
        for link in self._snapshot():
            link.abort(rst=False)
        for link in self._snapshot():
            link.thread.join(_JOIN_S)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None
        self._thread = None
        self._mode = _Mode(Fault.PASS)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """``127.0.0.1``."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The proxy's port (0 before :meth:`start`); it stays the same across refuse."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the proxy, for socket-level clients."""
        return (self.host, self.port)

    def url_for(self, url: str) -> str:
        """Return *url* with its host and port replaced by the proxy's.

        Scheme, credentials, path and query are kept, so
        ``proxy.url_for("postgresql://postgres@127.0.0.1:5432/test")`` is
        ``"postgresql://postgres@127.0.0.1:PROXY_PORT/test"``.

        Raises:
            ValidationError: *url* has no host (the message does not echo the URL).
        """
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValidationError("url_for needs a URL with a host, like scheme://host:port/")
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # -- faults ----------------------------------------------------------------------

    @property
    def fault(self) -> Fault:
        """The fault currently applied."""
        return self._mode.fault

    def heal(self) -> FaultScope:
        """Pass everything through (and listen again after :meth:`refuse`)."""
        return self._set(_Mode(Fault.PASS))

    def latency(self, ms: float, *, direction: Direction = "both") -> FaultScope:
        """Delay each chunk by *ms* milliseconds, in *direction* (default both ways)."""
        if ms < 0:
            raise ValidationError("latency must be >= 0 ms")
        return self._set(_Mode(Fault.LATENCY, delay=ms / 1000, direction=_checked(direction)))

    def trickle(self, nbytes: int, every: float, *, direction: Direction = "both") -> FaultScope:
        """Forward at most *nbytes* bytes every *every* seconds, in *direction*.

        ``direction="downstream"`` slows responses only, like a server trickling its
        answer; the default slows both ways.
        """
        if nbytes < 1 or every < 0:
            raise ValidationError("trickle needs nbytes >= 1 and every >= 0 seconds")
        return self._set(
            _Mode(Fault.TRICKLE, delay=every, size=nbytes, direction=_checked(direction))
        )

    def freeze(self) -> FaultScope:
        """Stop forwarding both ways; connections stay open and new ones hang."""
        return self._set(_Mode(Fault.FREEZE))

    def blackhole(self) -> FaultScope:
        """Read and drop all data silently, both ways; connections stay open."""
        return self._set(_Mode(Fault.BLACKHOLE))

    def reset(self) -> FaultScope:
        """Reset (TCP RST) every open connection, and every new one until healed."""
        return self._set(_Mode(Fault.RESET))

    def refuse(self) -> FaultScope:
        """Reset open connections and stop listening: connects get ``ECONNREFUSED``."""
        return self._set(_Mode(Fault.REFUSE))

    def stats(self) -> FaultStats:
        """A snapshot of the proxy's counters."""
        with self._cond:
            counts = dict(self._counts)
            open_links = len(self._links)
        return FaultStats(
            accepted=counts["accepted"],
            open=open_links,
            bytes_to_upstream=counts["up"],
            bytes_to_client=counts["down"],
            swallowed=counts["swallowed"],
            resets=counts["resets"],
        )

    def __repr__(self) -> str:
        up_host, up_port = self.upstream
        return (
            f"<FaultProxy {self.host}:{self.port} -> {up_host}:{up_port} fault={self.fault.value}>"
        )

    # -- internals -------------------------------------------------------------------

    def _set(self, mode: _Mode) -> FaultScope:
        if self._thread is None:
            raise BackendUnavailableError("the FaultProxy is not running: call start() first")
        previous = self._mode
        with self._cond:
            self._mode = mode
            self._cond.notify_all()
        if mode.fault in (Fault.RESET, Fault.REFUSE):
            doomed = self._snapshot()
            for link in doomed:
                link.abort(rst=True)
            for link in doomed:
                link.thread.join(_JOIN_S)
        want = mode.fault is not Fault.REFUSE
        self._wake()
        with self._cond:
            self._cond.wait_for(lambda: self._listening is want or self._bind_error, _JOIN_S)
            error, self._bind_error = self._bind_error, None
        if error is not None:
            raise BackendUnavailableError(
                f"the FaultProxy cannot listen again on port {self._port}: {error.strerror}"
            )
        return FaultScope(self, previous)

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((LOOPBACK, port))
            sock.listen(self.max_connections)
            sock.setblocking(False)  # noqa: FBT003 - the stdlib signature
        except OSError:
            sock.close()
            raise
        return sock

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _snapshot(self) -> list[_Link]:
        with self._cond:
            return list(self._links)

    def _forget(self, link: _Link) -> None:
        with self._cond:
            self._links.discard(link)
            if link.rst:
                self._counts["resets"] += 1
            self._cond.notify_all()

    def _count(self, **amounts: int) -> None:
        with self._cond:
            for key, amount in amounts.items():
                self._counts[key] += amount

    def _reconcile_listener(self) -> None:
        """Close or reopen the listening socket to match the fault (acceptor thread only)."""
        refuse = self._mode.fault is Fault.REFUSE or self._stopping
        if refuse and self._listener is not None:
            self._listener.close()
            self._listener = None
        elif not refuse and self._listener is None:
            try:
                self._listener = self._bind(self._port)
            except OSError as exc:
                with self._cond:
                    self._bind_error = exc
                    self._cond.notify_all()
                return
        with self._cond:
            self._listening = self._listener is not None
            self._cond.notify_all()

    def _accept_loop(self) -> None:
        wake = self._wake_r
        assert wake is not None  # noqa: S101 - set by start() before the thread runs
        try:
            while not self._stopping:
                poller = select.poll()
                poller.register(wake, _READ)
                if self._listener is not None:
                    poller.register(self._listener, _READ)
                ready = dict(poller.poll(_POLL_MS))
                if wake.fileno() in ready:
                    with contextlib.suppress(BlockingIOError):
                        wake.recv(_CHUNK)
                    self._reconcile_listener()
                    continue
                if self._listener is not None and self._listener.fileno() in ready:
                    self._accept_one(self._listener)
        finally:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            with self._cond:
                self._listening = False
                self._cond.notify_all()

    def _accept_one(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        with self._cond:
            self._counts["accepted"] += 1
            full = len(self._links) >= self.max_connections
            if self._mode.fault is Fault.RESET or full or self._stopping:
                self._counts["resets"] += 1
                with contextlib.suppress(OSError):
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
                client.close()
                return
            link = _Link(self, client)
            self._links.add(link)
            link.thread.start()  # under the lock: a snapshot never holds an unstarted link
