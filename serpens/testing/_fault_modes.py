"""The vocabulary of :class:`~serpens.testing.FaultProxy`: its faults, modes and counters.

Held apart from the proxy and its connection pumps, which both read it: the public
:class:`Fault`, :data:`Direction` and :class:`FaultStats`, the private ``_Mode`` a fault
method switches to, and the socket constants the pumps and the acceptor share.
"""

from __future__ import annotations

import enum
import select
import struct
from dataclasses import dataclass
from typing import Literal

from serpens.errors import ValidationError

__all__ = ["Direction", "Fault", "FaultStats"]

_CHUNK = 65536
_POLL_MS = 500  # safety net only: every wait is woken explicitly
_JOIN_S = 2.0
_CONNECT_S = 2.0
_READ = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP
_WRITE = select.POLLOUT | select.POLLERR | select.POLLHUP
_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST

Direction = Literal["both", "upstream", "downstream"]
"""Which way a latency or trickle fault slows: client to server (``upstream``), back, or both."""


class Fault(enum.StrEnum):
    """The fault a :class:`FaultProxy` applies to its connections."""

    PASS = "pass"  # noqa: S105 - a fault name, not a password
    LATENCY = "latency"
    TRICKLE = "trickle"
    FREEZE = "freeze"
    BLACKHOLE = "blackhole"
    RESET = "reset"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class FaultStats:
    """Counters of a :class:`FaultProxy` since it started.

    Attributes:
        accepted: client connections accepted (including those reset at once).
        open: connections currently open through the proxy.
        bytes_to_upstream: bytes forwarded from clients to the server.
        bytes_to_client: bytes forwarded from the server to clients.
        swallowed: bytes read and dropped by :meth:`FaultProxy.blackhole`.
        resets: connections closed with a TCP RST.
    """

    accepted: int
    open: int
    bytes_to_upstream: int
    bytes_to_client: int
    swallowed: int
    resets: int


@dataclass(frozen=True, slots=True)
class _Mode:
    fault: Fault
    delay: float = 0.0  # latency: seconds per chunk; trickle: seconds between slices
    size: int = _CHUNK  # trickle: bytes per slice
    direction: Direction = "both"  # latency and trickle: which way is slowed


_PASS = _Mode(Fault.PASS)


def _checked(direction: str) -> Direction:
    if direction == "both":
        return "both"
    if direction == "upstream":
        return "upstream"
    if direction == "downstream":
        return "downstream"
    raise ValidationError("direction must be 'both', 'upstream' or 'downstream'")
