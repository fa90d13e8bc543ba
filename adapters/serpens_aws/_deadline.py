"""A deadline on each whole response of the boto3 calls serpens' AWS adapters make.

botocore's ``read_timeout`` bounds each socket read: a server or link trickling its
answer (a byte now and then) keeps a call alive for as long as it trickles, minutes for a
receive of a large message. Inside an adapter's call, each attempt's response (status,
headers and body) must arrive whole within the attempt's read timeout, counted from the
moment the request is sent; past it, the process's watchdog (:mod:`serpens._watchdog`,
which bounds the SQLAlchemy and Redis adapters too) shuts the connection's socket down,
and the attempt fails as a read timeout: botocore retries it like any other, and the
adapter raises :class:`~serpens.errors.BackendTimeoutError`.

botocore hands no socket to its callers, so :func:`bound` gives a client's connection
pools connection classes that arm the watchdog as they wait for a response: botocore's
own classes, subclassed, so TLS, proxies and retries are unchanged. They arm only inside
an adapter's call (a :data:`CALL` is set): the owner's own calls on a shared client keep
botocore's behaviour. A client with another HTTP session than botocore's keeps
botocore's per-read timeouts only.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import version
from typing import Any, Final

from botocore.awsrequest import (
    AWSHTTPConnection,
    AWSHTTPConnectionPool,
    AWSHTTPSConnection,
    AWSHTTPSConnectionPool,
)
from botocore.httpsession import URLLib3Session

from serpens._watchdog import watchdog

__all__ = ["CALL", "Call", "bound", "one_call"]

# urllib3 2 sets the read timeout as the connection's ``timeout`` before asking for the
# response; urllib3 1.26 sets it on the socket.
_TIMEOUT_ON_CONNECTION: Final = not version("urllib3").startswith("1.")


class Call:
    """The deadlines armed during one adapter call, one per attempt's response.

    *limit*, a :func:`time.monotonic` time, ends every response of the call by then too,
    whatever the read timeout leaves (a response asked for after it is cut at once).
    """

    __slots__ = ("_armed", "limit")

    def __init__(self, limit: float | None = None) -> None:
        self._armed: list[Any] = []
        self.limit = limit

    def arm(self, sock: socket.socket, seconds: float) -> Any:
        """Start the deadline of one response on *sock*: *seconds*, or less by the limit."""
        if self.limit is not None:
            seconds = min(seconds, self.limit - time.monotonic())
        armed = watchdog.arm(sock, seconds)
        self._armed.append(armed)
        return armed

    def end(self) -> None:
        """Disarm every deadline of the call (the call has ended)."""
        for armed in self._armed:
            watchdog.disarm(armed)
        self._armed.clear()


CALL: Final[ContextVar[Call | None]] = ContextVar("serpens_aws_call", default=None)
"""The adapter call in progress on this thread or task, if any."""


@contextmanager
def one_call(limit: float | None = None) -> Iterator[None]:
    """The block is one call: responses on a :func:`bound` client get their deadline.

    *limit*: see :class:`Call`.
    """
    call = Call(limit)
    token = CALL.set(call)
    try:
        yield
    finally:
        call.end()
        CALL.reset(token)


class _Cut:
    """The buffered reader of one response: any read ending after the deadline fails.

    The watchdog shuts the socket down, which a reader sees as the peer closing: a
    status line or header block cut short would parse as a complete answer (http.client
    ends headers at end of file), a body without a length as an empty one; a peer still
    sending may get the socket reset instead. Reads past the deadline, and reads failing
    after it, raise :class:`TimeoutError` instead, which urllib3 and botocore report as a
    read timeout (retried like one, then :class:`~serpens.errors.BackendTimeoutError`).
    """

    __slots__ = ("_armed", "_fp")

    def __init__(self, fp: Any, armed: Any) -> None:
        self._fp = fp
        self._armed = armed

    def _guard(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            data = read(*args)  # the shut socket reads as end of file, over TLS too...
        except OSError:
            if self._armed.fired:  # ...or as reset, when the peer still sent: the deadline's
                raise TimeoutError(_CUT) from None
            raise
        if self._armed.fired:
            raise TimeoutError(_CUT)
        return data

    def read(self, *args: Any) -> Any:
        return self._guard(self._fp.read, *args)

    def read1(self, *args: Any) -> Any:
        return self._guard(self._fp.read1, *args)

    def readinto(self, *args: Any) -> Any:
        return self._guard(self._fp.readinto, *args)

    def readline(self, *args: Any) -> Any:
        return self._guard(self._fp.readline, *args)

    def peek(self, *args: Any) -> Any:
        return self._guard(self._fp.peek, *args)

    def __getattr__(self, name: str) -> Any:  # close, closed, fileno, ...
        return getattr(self._fp, name)


_CUT: Final = "the response did not arrive whole within its read timeout"


class _Bounded:
    """Mixin of a botocore connection: arms the call's deadline while a response arrives."""

    sock: socket.socket | None
    timeout: Any
    response_class: Any
    _armed: Any = None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        if self._armed is not None:
            # A connection goes back to its pool once its body is read, maybe before its
            # call has ended: the deadline of that use must not cut this one.
            watchdog.disarm(self._armed)
            self._armed = None
        call, sock, seconds = CALL.get(), self.sock, None
        if call is not None and sock is not None:  # an adapter's call, on an open socket
            seconds = self.timeout if _TIMEOUT_ON_CONNECTION else sock.gettimeout()
        if call is None or sock is None or not isinstance(seconds, int | float) or seconds <= 0:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        armed = self._armed = call.arm(sock, float(seconds))
        make = self.response_class

        def response(*r_args: Any, **r_kwargs: Any) -> Any:
            made = make(*r_args, **r_kwargs)
            made.fp = _Cut(made.fp, armed)
            return made

        self.response_class = response
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            self.response_class = make


# botocore's stubs type its mixin's overrides apart from urllib3's: nothing of ours
class _HTTPConnection(_Bounded, AWSHTTPConnection):  # type: ignore[misc]
    pass


class _HTTPSConnection(_Bounded, AWSHTTPSConnection):  # type: ignore[misc]
    pass


class _HTTPPool(AWSHTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(AWSHTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def bound(client: Any) -> None:
    """Give *client*'s responses, inside adapter calls, a deadline of their read timeout.

    Idempotent, and no I/O: the client's idle pooled connections (made by botocore's own
    classes) are closed, the next call opens one of serpens'. A client whose HTTP
    session is not botocore's is left as it is.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    classes = getattr(session, "_pool_classes_by_scheme", None)
    if not isinstance(session, URLLib3Session) or not isinstance(classes, dict):
        return
    if classes.get("http") is _HTTPPool:
        return
    # the dict the session's pool managers (and proxy managers, as they are made) share
    classes.update({"http": _HTTPPool, "https": _HTTPSPool})
    session.close()
