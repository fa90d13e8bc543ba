"""Renewal of the Redis caches' cross-process fill lock while its holder computes.

:class:`AsyncLockKeeper` renews in a task per fill; :class:`LockKeeper` runs every sync
fill's renewals on one daemon thread of the process (a miss costs a heap push, not a
thread start). Both have the same method names, so the sync cache stays a mechanical
rewrite of the async one (``scripts/unasync.py``).
"""

from __future__ import annotations

import asyncio
import heapq
import threading
import time
from collections.abc import Awaitable, Callable

__all__ = ["AsyncLockKeeper", "LockKeeper"]


class AsyncLockKeeper:
    """Calls ``renew()`` every *interval* seconds in a task until it returns ``False`` or stops.

    Args:
        renew: extends the lock; returns whether the lock is still held.
        interval: seconds between two renewals.
    """

    def __init__(self, renew: Callable[[], Awaitable[bool]], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start renewing in a task of the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._keep())

    async def stop(self) -> None:
        """Stop renewing and wait until the task has finished (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if not await self._renew():
                return


class LockKeeper:
    """Calls ``renew()`` every *interval* seconds until it returns ``False`` or stops.

    Every keeper of the process shares one daemon thread (started on first use), so a
    cache miss costs a heap push, not a thread start; a renewal is a short Redis call,
    and the shared thread runs the due ones in turn.

    Args:
        renew: extends the lock; returns whether the lock is still held.
        interval: seconds between two renewals.
    """

    def __init__(self, renew: Callable[[], bool], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._busy = threading.Lock()  # held while a renewal runs
        self._active = False

    def start(self) -> None:
        """Schedule the first renewal *interval* seconds from now."""
        self._active = True
        _RENEWALS.schedule(self, self._interval)

    def stop(self) -> None:
        """Stop renewing; returns once no renewal of this keeper is running (idempotent)."""
        self._active = False
        with self._busy:
            pass

    def _tick(self) -> float | None:
        """Run one renewal; seconds until the next one, or ``None`` when done."""
        with self._busy:
            if not self._active:
                return None
            try:
                held = self._renew()
            except Exception:  # noqa: BLE001 - a failed renewal only ends the keeping
                held = False
            if not held:
                self._active = False
                return None
            return self._interval


class _Renewals:
    """One daemon thread running every :class:`LockKeeper`'s renewals when they are due."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, LockKeeper]] = []
        self._seq = 0
        self._thread: threading.Thread | None = None

    def schedule(self, keeper: LockKeeper, delay: float) -> None:
        with self._wake:
            self._seq += 1
            heapq.heappush(self._due, (time.monotonic() + delay, self._seq, keeper))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="serpens-lock-keeper", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    if self._due and not self._due[0][2]._active:  # noqa: SLF001 - stopped
                        heapq.heappop(self._due)
                        continue
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(timeout)
                keeper = heapq.heappop(self._due)[2]
            again = keeper._tick()  # noqa: SLF001 - the scheduler of LockKeeper
            if again is not None:
                self.schedule(keeper, again)


_RENEWALS = _Renewals()
