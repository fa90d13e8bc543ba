"""The suites' injected clock: seconds that move only when a test says so."""

from __future__ import annotations

__all__ = ["ManualClock"]


class ManualClock:
    """A monotonic clock that moves only when told to.

    The cache suite reads it as ``time.monotonic`` (it starts at 1000 s); the idempotency
    suite as ``time.time``, so its fixture starts it at an epoch time.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by *seconds*."""
        self.now += seconds
