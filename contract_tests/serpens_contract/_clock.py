"""The suites' injected clock, and the time fixtures of the suites that wait for time.

:class:`ManualClock` is seconds that move only when a test says so. :class:`TimedCases`
gives the idempotency and outbox suites their ``clock``, ``unit`` and ``elapse``
fixtures: a cell whose capabilities say ``clock="injected"`` has time moved on the
clock, any other waits ``time_unit`` seconds at a time for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ClassVar, Literal, Protocol

import pytest

__all__ = ["ManualClock", "TimedCases"]


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
