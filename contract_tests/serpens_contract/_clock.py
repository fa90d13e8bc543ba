"""The suites' injected clock, and the time fixtures of the suites that wait for time.

:class:`ManualClock` is seconds that move only when a test says so. :class:`TimedCases`
gives the idempotency and outbox suites their ``clock``, ``unit`` and ``elapse``
fixtures: a cell whose capabilities say ``clock="injected"`` has time moved on the
clock, any other waits ``time_unit`` seconds at a time for real.

A case that checks something *before* a real lease, TTL or delay ends runs in a
:class:`Window`: when the machine stalls (another process, a collection) long enough for
the unit to pass before the check, the check cannot judge the store, so the case runs
again with twice the unit, up to :data:`TRIES` times, and fails only when every run was
too slow. A store that answers wrongly in time fails the first run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import ClassVar, Literal, NoReturn, Protocol, Self

import pytest

__all__ = ["TRIES", "ManualClock", "TimedCases", "Window", "in_windows", "in_windows_sync"]

TRIES = 3
"""Runs of a windowed case, each with twice the unit of the one before."""


class ManualClock:
    """A monotonic clock that moves only when told to.

    The cache suite reads it as ``time.monotonic`` (it starts at 1000 s); the idempotency
    and outbox suites as ``time.time``, so their fixture starts it at an epoch time.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by *seconds*."""
        self.now += seconds


class _TooSlowError(Exception):
    """A window's check failed after its unit had passed: the run cannot judge the store."""


class Window:
    """The real time a case has to check something before a lease, TTL or delay ends.

    ``with window:`` opens it; an error raised inside once ``unit`` (less the tenth a
    store may be late or early) has passed since it opened makes the run inconclusive
    rather than failed, and :func:`in_windows` runs the case again with a longer unit.
    With an injected clock no real time counts: every error is the store's.
    """

    def __init__(self, unit: float, *, real: bool) -> None:
        self.unit = unit
        self._real = real
        self._opened = 0.0

    def __enter__(self) -> Self:
        self._opened = time.monotonic()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if isinstance(error, Exception) and self._real and self.lapsed():
            raise _TooSlowError(f"{self.unit} s passed before the check") from error

    def lapsed(self) -> bool:
        """Whether the store may already have ended the unit that opened with the window."""
        return time.monotonic() - self._opened >= 0.9 * self.unit


def _windows(unit: float, real: bool) -> list[Window]:
    return [Window(unit * 2**run, real=real) for run in range(TRIES if real else 1)]


def _too_slow(windows: list[Window], last: _TooSlowError) -> NoReturn:
    units = ", ".join(f"{window.unit:g} s" for window in windows)
    pytest.fail(f"every run was too slow to judge (units {units}): {last.__cause__!r}")


async def in_windows(
    attempt: Callable[[Window], Awaitable[None]],
    unit: float,
    *,
    real: bool,
    between: Callable[[Window], Awaitable[None]] | None = None,
) -> None:
    """Run *attempt* with a :class:`Window` of *unit*, again with a longer one while too slow.

    *between* runs after a run too slow to judge, before the next (to clear what that run
    left in a store the runs share).
    """
    windows = _windows(unit, real)
    for window in windows:
        try:
            await attempt(window)
        except _TooSlowError as slow:
            last = slow
            if between is not None:
                await between(window)
        else:
            return
    _too_slow(windows, last)


def in_windows_sync(attempt: Callable[[Window], None], unit: float, *, real: bool) -> None:
    """:func:`in_windows` for a synchronous case."""
    windows = _windows(unit, real)
    for window in windows:
        try:
            attempt(window)
        except _TooSlowError as slow:
            last = slow
        else:
            return
    _too_slow(windows, last)


class _Timed(Protocol):
    """What :class:`TimedCases` reads of a suite's capabilities."""

    @property
    def clock(self) -> Literal["injected", "real"]: ...

    @property
    def time_unit(self) -> float: ...


class TimedCases:
    """The time fixtures of a suite whose capabilities declare ``clock`` and ``time_unit``."""

    capabilities: ClassVar[_Timed]

    @pytest.fixture
    def clock(self) -> ManualClock:
        """The clock a store declaring ``clock="injected"`` must read (seconds since the epoch)."""
        return ManualClock(1_800_000_000.0)

    @pytest.fixture
    def unit(self) -> float:
        """A short lease, TTL or delay: 1 s of the injected clock, else the declared unit."""
        return 1.0 if self.capabilities.clock == "injected" else self.capabilities.time_unit

    @pytest.fixture
    def elapse(self, clock: ManualClock) -> Callable[[float], Awaitable[None]]:
        """Let *seconds* pass: the injected clock advances, real time is slept."""

        async def elapse(seconds: float) -> None:
            if self.capabilities.clock == "injected":
                clock.advance(seconds)
            else:
                await asyncio.sleep(seconds)

        return elapse

    async def in_windows(
        self,
        attempt: Callable[[Window], Awaitable[None]],
        unit: float,
        between: Callable[[Window], Awaitable[None]] | None = None,
    ) -> None:
        """:func:`in_windows` on this suite's clock (real unless the cell injects one)."""
        real = self.capabilities.clock != "injected"
        await in_windows(attempt, unit, real=real, between=between)
