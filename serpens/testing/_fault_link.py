"""One proxied connection of :class:`~serpens.testing.FaultProxy`: two pumps and a fault.

A ``_Link`` pairs a client connection with its upstream connection and forwards bytes
both ways in two threads, applying the proxy's current fault to each chunk. It reads the
proxy through :class:`LinkOwner` (the few members it shares with the proxy), so the
proxy, which creates links, and the link, which reports back to it, need no import cycle.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Protocol

from serpens.testing._fault_modes import (
    _CHUNK,
    _CONNECT_S,
    _PASS,
    _POLL_MS,
    _READ,
    _RST,
    _WRITE,
    Fault,
    _Mode,
)

__all__ = ["LinkOwner"]


class LinkOwner(Protocol):
    """What a link uses of its :class:`~serpens.testing.FaultProxy`."""

    upstream: tuple[str, int]
    _cond: threading.Condition
    _mode: _Mode

    def _forget(self, link: _Link) -> None: ...

    def _count(self, **amounts: int) -> None: ...


class _AbortedError(Exception):
    """A link was told to stop while a pump waited."""


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, proxy: LinkOwner, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.aborted = False
        self.rst = False
        self._wake_r, self._wake_w = socket.socketpair()
        self.thread = threading.Thread(target=self._run, name="serpens-fault-link", daemon=True)

    def abort(self, *, rst: bool) -> None:
        """Stop both pumps; close with RST when *rst* (else a normal close)."""
        with self.proxy._cond:  # noqa: SLF001 - link and proxy are one unit
            if self.aborted:
                return
            self.aborted, self.rst = True, rst
            self.proxy._cond.notify_all()  # noqa: SLF001
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")  # never drained: stays readable for both pumps

    def _run(self) -> None:
        try:
            self.upstream = socket.create_connection(self.proxy.upstream, timeout=_CONNECT_S)
        except OSError:
            self.rst = True  # the server is down: the client sees its connection reset
        else:
            self.client.setblocking(False)  # noqa: FBT003 - the stdlib signature
            self.upstream.setblocking(False)  # noqa: FBT003 - the stdlib signature
            down = threading.Thread(
                target=self._pump, args=(self.upstream, self.client, "down"), daemon=True
            )
            down.start()
            self._pump(self.client, self.upstream, "up")
            down.join()
        self._close()

    def _close(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            if self.rst:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
            sock.close()
        self._wake_r.close()
        self._wake_w.close()
        self.proxy._forget(self)  # noqa: SLF001

    def _wait(self, seconds: float | None, *, until_thawed: bool = False) -> None:
        """Sleep *seconds* (or while the proxy is frozen); raise ``_AbortedError`` on abort."""
        cond = self.proxy._cond  # noqa: SLF001
        with cond:
            if until_thawed:
                cond.wait_for(
                    lambda: self.aborted or self.proxy._mode.fault is not Fault.FREEZE  # noqa: SLF001
                )
            elif seconds:
                cond.wait_for(lambda: self.aborted, timeout=seconds)
            if self.aborted:
                raise _AbortedError

    def _poll(self, sock: socket.socket, events: int) -> None:
        """Block until *sock* is ready for *events*; raise ``_AbortedError`` on abort."""
        poller = select.poll()
        poller.register(sock, events)
        poller.register(self._wake_r, _READ)
        while True:
            ready = dict(poller.poll(_POLL_MS))
            if self.aborted or self._wake_r.fileno() in ready:
                raise _AbortedError
            if sock.fileno() in ready:
                return

    def _send(self, dst: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._poll(dst, _WRITE)
            try:
                sent = dst.send(view)
            except BlockingIOError:
                continue
            view = view[sent:]

    def _mode_for(self, direction: str) -> _Mode:
        mode = self.proxy._mode  # noqa: SLF001
        if mode.direction in ("both", f"{direction}stream"):
            return mode
        return _PASS  # latency or trickle of the other direction only

    def _forward(self, data: bytes, dst: socket.socket, mode: _Mode, direction: str) -> None:
        if mode.fault is Fault.BLACKHOLE:
            self.proxy._count(swallowed=len(data))  # noqa: SLF001
            return
        if mode.fault is Fault.LATENCY:
            self._wait(mode.delay)
        # counted first, so a client that got the bytes always sees them counted
        self.proxy._count(**{direction: len(data)})  # noqa: SLF001
        self._send(dst, data)
        if mode.fault is Fault.TRICKLE:
            self._wait(mode.delay)

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while True:
                self._poll(src, _READ)
                mode = self._mode_for(direction)
                if mode.fault is Fault.FREEZE:
                    self._wait(None, until_thawed=True)
                    continue
                try:
                    data = src.recv(mode.size if mode.fault is Fault.TRICKLE else _CHUNK)
                except BlockingIOError:
                    continue
                if not data:  # EOF: pass the half-close on
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    return
                self._forward(data, dst, mode, direction)
        except _AbortedError:
            return
        except OSError:  # a peer reset its side: reset the other one too
            self.abort(rst=True)
