"""What a cell declares for the outage cases: the kinds, its capabilities and its hook.

The fault kinds (``OutageKind``), how an implementation meets an outage
(``OutageCapabilities``, registered here as each port's named capabilities), the hook
type and its two makers (``FakeOutages`` for fakes, ``proxy_outage`` for a
``FaultProxy``), and ``_OutageCases``, the base of every port's outage mixin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, TypeVar

import pytest

from serpens_contract.capabilities import register_capability

OutageKind = Literal["refused", "frozen", "reset", "trickled"]
"""``refused``: the port is closed; ``frozen``: connections are accepted and never answered;
``reset``: every open and new connection is reset (TCP RST); ``trickled``: answers arrive a
byte at a time, each read well within a read timeout, the whole far past any deadline
(the HTTP, cache and queue suites' case: a call must end by its deadline, not by a
per-read one)."""

OUTAGE_KINDS: tuple[OutageKind, ...] = ("refused", "frozen", "reset", "trickled")

TRICKLE_BYTES, TRICKLE_EVERY = 1, 0.05
"""A trickled backend forwards 1 byte every 50 ms: a 150-byte HTTP head takes 7.5 s."""

OutageHook = Callable[[OutageKind], AbstractContextManager[object]]
"""``kind -> context manager``: the backend is down in that way inside the ``with`` block."""


@dataclass(frozen=True)
class OutageCapabilities:
    """How an implementation meets an outage, and which outages its cell can inject.

    Attributes:
        mode: ``"strict"`` (calls raise ``BackendUnavailableError`` /
            ``BackendTimeoutError``) or ``"fail_open"`` (a cache: reads miss, writes do
            nothing, nothing raises).
        kinds: the faults the cell's ``outage`` hook injects; empty means no hook (every
            outage case is a reported skip). In-process implementations have no backend
            to take down.
        deadline: the implementation's configured timeout in seconds, as the cell set it
            (a socket or read timeout, a publish timeout, a request timeout).
        margin: seconds allowed past ``deadline`` for scheduling and the error's own
            bookkeeping.
        recovery: seconds within which calls succeed again after the backend is back
            (pools reconnecting, a fail-open breaker's cool-down).
    """

    mode: Literal["strict", "fail_open"] = "strict"
    kinds: frozenset[OutageKind] = frozenset()
    deadline: float = 1.0
    margin: float = 0.5
    recovery: float = 5.0

    @property
    def budget(self) -> float:
        """Seconds one call may take during an outage: ``deadline + margin``."""
        return self.deadline + self.margin

    def __str__(self) -> str:
        if not self.kinds:
            return f"{self.mode.replace('_', '-')}, no outage hook"
        kinds = ", ".join(kind for kind in OUTAGE_KINDS if kind in self.kinds)
        return (
            f"{self.mode.replace('_', '-')}; {kinds} within {self.deadline:g} s + {self.margin:g} s"
        )


ALL_KINDS: frozenset[OutageKind] = frozenset({"refused", "frozen", "reset"})
"""The connection faults every suite's outage cases inject. The HTTP, cache, queue,
document, parameter and secret suites also have a ``trickled`` case, which their cells
declare with ``ALL_KINDS | {"trickled"}``."""
_TIMING_OUT: frozenset[OutageKind] = frozenset({"frozen", "trickled"})


def _injects(kind: OutageKind) -> Callable[[OutageCapabilities | None], bool]:
    return lambda c: c is not None and kind in c.kinds


_CONTRACTS = (
    "cache",
    "queue",
    "publisher",
    "document",
    "http",
    "rate_limit",
    "parameters",
    "secrets",
    "idempotency",
    "outbox",
)
for _contract in _CONTRACTS:
    register_capability(
        _contract,
        "strict_outage",
        lambda c: c is not None and c.mode == "strict",
        "outages raise BackendUnavailableError or BackendTimeoutError (not fail-open)",
        source="outage_capabilities",
    )
    register_capability(
        _contract,
        "fail_open",
        lambda c: c is not None and c.mode == "fail_open",
        "fail-open: reads miss, writes do nothing, nothing raises during an outage",
        source="outage_capabilities",
    )
    for _kind in OUTAGE_KINDS:
        register_capability(
            _contract,
            f"outage_{_kind}",
            _injects(_kind),
            f"the cell's `outage` hook injects a {_kind} backend",
            source="outage_capabilities",
        )


class _Switchable(Protocol):
    def start_outage(self, *, timeout: bool = False) -> None: ...

    def end_outage(self) -> None: ...


_F = TypeVar("_F", bound=_Switchable)


class FakeOutages:
    """The outage hook of a cell of fakes: every tracked fake is down at once.

    ``"frozen"`` and ``"trickled"`` map to ``outage(timeout=True)``
    (``BackendTimeoutError``), the other kinds to ``outage()``
    (``BackendUnavailableError``).
    """

    def __init__(self) -> None:
        self._fakes: list[_Switchable] = []

    def track(self, fake: _F) -> _F:
        """Remember *fake* (returned unchanged) so that :meth:`outage` reaches it."""
        self._fakes.append(fake)
        return fake

    @contextmanager
    def outage(self, kind: OutageKind) -> Iterator[None]:
        """Every tracked fake is in outage inside the block."""
        fakes = list(self._fakes)
        for fake in fakes:
            fake.start_outage(timeout=kind in _TIMING_OUT)
        try:
            yield
        finally:
            for fake in fakes:
                fake.end_outage()


class _FaultSwitch(Protocol):
    def refuse(self) -> AbstractContextManager[object]: ...

    def freeze(self) -> AbstractContextManager[object]: ...

    def reset(self) -> AbstractContextManager[object]: ...

    def trickle(
        self, nbytes: int, every: float, *, direction: Literal["both", "upstream", "downstream"]
    ) -> AbstractContextManager[object]: ...


def proxy_outage(proxy: _FaultSwitch) -> OutageHook:
    """The outage hook of an adapter cell built on a :class:`serpens.testing.FaultProxy`."""
    faults: dict[OutageKind, Callable[[], AbstractContextManager[object]]] = {
        "refused": proxy.refuse,
        "frozen": proxy.freeze,
        "reset": proxy.reset,
        "trickled": lambda: proxy.trickle(TRICKLE_BYTES, TRICKLE_EVERY, direction="downstream"),
    }
    return lambda kind: faults[kind]()


class _OutageCases:
    """What every outage mixin declares: the capabilities and the hook fixture."""

    outage_capabilities: ClassVar[OutageCapabilities] = OutageCapabilities()

    @pytest.fixture
    def outage(self) -> OutageHook:
        """``kind -> context manager`` taking the backend down; override it in the cell."""
        pytest.fail(
            "override `outage`: return a hook kind -> context manager "
            "(serpens_contract.outage.proxy_outage(proxy) or FakeOutages().outage)"
        )
