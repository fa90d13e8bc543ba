"""Run works on threads at once, for the cases of one implementation shared by threads.

Threads take turns far more often than by default while they run, so a race between a
check and a write shows in a short run; what each work raised is handed back to the
test thread to report.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

__all__ = ["BARRIER_TIMEOUT_S", "on_threads", "starting_line"]

BARRIER_TIMEOUT_S = 60.0
"""How long a racer waits at a :func:`starting_line` for the others before it breaks."""


@contextmanager
def _frequent_switches() -> Iterator[None]:
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(switch)


def on_threads(works: Sequence[Callable[[], object]]) -> list[Exception]:
    """Run each of *works* on its own thread, all at once; return what they raised."""
    errors: list[Exception] = []

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    with _frequent_switches():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return errors


def starting_line(parties: int) -> threading.Barrier:
    """A barrier for *parties* racers that breaks after :data:`BARRIER_TIMEOUT_S`.

    A racer that fails leaves its loop and never comes back to the barrier: the others
    then raise ``BrokenBarrierError`` and the case fails, instead of waiting forever.
    """
    return threading.Barrier(parties, timeout=BARRIER_TIMEOUT_S)
