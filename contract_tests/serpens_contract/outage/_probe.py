"""How an outage case runs a call: on a watched thread, within a budget, then recovering.

``_Probe`` runs each sync call on a thread it can give up on, so a call that blocks past
its deadline fails the test instead of hanging the run; ``_down`` takes the backend down
for a block; ``_recovers`` polls until the implementation works again. ``_araises`` and
``_arecovers`` do the same for async ports, each call a task (:func:`_within`).

Time the machine held the whole process (two cores under a CI run's workers; a stopped
process) is not the call's to spend: its own deadline's timer fires as late as the wait
for it does. A call's budget grows by the time the process was held
while it ran (:class:`_Budget` watches for it), so a call that ends by its deadline passes
on a held machine, and a call that blocks still fails: after its budget where nothing held
the process, after its budget and the time held where something did (at most
:data:`MOST_HELD` more).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

import pytest

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError
from serpens_contract.outage._declarations import (
    _TIMING_OUT,
    OutageCapabilities,
    OutageHook,
    OutageKind,
)

HELD = 0.05
"""Seconds a tick of the watch may come late before the lateness counts as held time."""

MOST_HELD = 5.0
"""Seconds of held time allowed for in one call, in all: past that a blocked call fails."""

_TICK = 0.01


def _expected(kind: OutageKind) -> type[BackendError]:
    return BackendTimeoutError if kind in _TIMING_OUT else BackendUnavailableError


class _Budget:
    """A call's budget, extended by the time the machine held the process (see the module).

    A watch thread ticks every 10 ms while the call runs; a tick :data:`HELD` or more late
    means nothing of the process ran meanwhile, and the lateness is added to the budget.
    Used as a context manager: the watch stops on exit.
    """

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.started = time.monotonic()
        self._held = 0.0
        self._last = self.started
        self._done = threading.Event()
        self._watch = threading.Thread(target=self._ticks, name="outage-watch", daemon=True)
        self._watch.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._watch.join()

    def _ticks(self) -> None:
        while not self._done.wait(_TICK):
            now = time.monotonic()
            late = now - self._last - _TICK
            if late >= HELD:
                self._held += late
            self._last = now

    def held(self) -> float:
        """Seconds the process was held so far (the current gap too, before its tick)."""
        late = time.monotonic() - self._last - _TICK
        return min(self._held + (late if late >= HELD else 0.0), MOST_HELD)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        """Seconds until the budget, with the time held so far, is spent (0 if it is)."""
        return max(0.0, self.budget + self.held() - self.elapsed())


def _blocked(
    label: str, kind: OutageKind, capabilities: OutageCapabilities, budget: _Budget
) -> str:
    held = budget.held()
    note = f"; the machine held the process {held:.2f} s of it" if held else ""
    return (
        f"{label} during a {kind} outage still blocked after {budget.elapsed():.2f} s "
        f"(deadline {capabilities.deadline:g} s + margin {capabilities.margin:g} s{note})"
    )


class _Probe:
    """Runs each call on a watched thread and checks how, and how fast, it ends."""

    def __init__(self, capabilities: OutageCapabilities, kind: OutageKind) -> None:
        self.capabilities = capabilities
        self.kind = kind
        self.blocked: list[threading.Thread] = []
        self.timings: dict[str, float] = {}

    def _run(self, label: str, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = call()
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                box["error"] = exc

        with _Budget(self.capabilities.budget) as budget:
            worker = threading.Thread(target=target, name=f"outage-{label}", daemon=True)
            worker.start()
            while worker.is_alive() and (left := budget.left()) > 0:
                worker.join(left)
            elapsed = budget.elapsed()
        if worker.is_alive():
            self.blocked.append(worker)
            pytest.fail(_blocked(label, self.kind, self.capabilities, budget))
        self.timings[label] = elapsed
        return box.get("value"), box.get("error")

    def raises(self, label: str, call: Callable[[], Any]) -> BaseException:
        """*call* must raise this kind's serpens error within the budget."""
        value, error = self._run(label, call)
        expected = _expected(self.kind)
        if error is None:
            pytest.fail(f"{label} during a {self.kind} outage returned {value!r}, not an error")
        if not isinstance(error, expected):
            raise AssertionError(  # noqa: TRY004 - a failed expectation, reported as such
                f"{label} during a {self.kind} outage raised {type(error).__name__}: "
                f"{error}; expected {expected.__name__}"
            ) from error
        return error

    def returns(self, label: str, call: Callable[[], Any]) -> Any:
        """*call* must return (never raise) within the budget; its value is returned."""
        value, error = self._run(label, call)
        if error is not None:
            raise AssertionError(
                f"{label} raised {type(error).__name__} during a {self.kind} outage on a "
                f"fail-open implementation: {error}"
            ) from error
        return value


@contextmanager
def _down(
    outage: OutageHook, kind: OutageKind, capabilities: OutageCapabilities
) -> Iterator[_Probe]:
    """The backend is down inside the block; calls that blocked are awaited after healing."""
    probe = _Probe(capabilities, kind)
    try:
        with outage(kind):
            yield probe
    finally:
        for worker in probe.blocked:  # healed now: a blocked call can finish
            worker.join(capabilities.budget + 10)


def _recovers(check: Callable[[], bool], capabilities: OutageCapabilities, what: str) -> None:
    """*check* must return True within ``recovery`` seconds after the backend is back."""
    deadline = time.monotonic() + capabilities.recovery
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except BackendError as exc:
            last = exc
        time.sleep(0.05)
    detail = f"; last error {type(last).__name__}: {last}" if last else ""
    pytest.fail(f"{what} did not recover within {capabilities.recovery:g} s{detail}")


class _BlockedError(Exception):
    """An async call still running when its budget (and the time held) was spent."""

    def __init__(self, budget: _Budget) -> None:
        super().__init__("still running when its budget was spent")
        self.budget = budget


async def _within(call: Awaitable[Any], capabilities: OutageCapabilities) -> Any:
    """*call*'s value, run as a task for its budget and the time the process was held.

    A call still running then is cancelled (as ``asyncio.wait_for`` would) and
    :class:`_BlockedError` raised; what the call raises itself is raised as it is.
    """
    task = asyncio.ensure_future(call)
    done: set[asyncio.Future[Any]] = set()
    with _Budget(capabilities.budget) as budget:
        while not done and (left := budget.left()) > 0:
            done, _ = await asyncio.wait({task}, timeout=left)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=capabilities.budget)
        raise _BlockedError(budget)
    return task.result()


async def _arecovers(
    check: Callable[[], Awaitable[bool]], capabilities: OutageCapabilities, what: str
) -> None:
    deadline = time.monotonic() + capabilities.recovery
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await _within(check(), capabilities):
                return
        except BackendError as exc:
            last = exc
        except _BlockedError:  # one slow poll (a held machine): poll again
            last = TimeoutError(f"a poll did not end within {capabilities.budget:g} s")
        await asyncio.sleep(0.05)
    detail = f"; last error {type(last).__name__}: {last}" if last else ""
    pytest.fail(f"{what} did not recover within {capabilities.recovery:g} s{detail}")


async def _araises(
    label: str, call: Awaitable[Any], kind: OutageKind, capabilities: OutageCapabilities
) -> float:
    """*call* must raise this kind's serpens error within the budget; the time it took."""
    started = time.monotonic()
    try:
        value = await _within(call, capabilities)
    except _BlockedError as blocked:
        pytest.fail(_blocked(label, kind, capabilities, blocked.budget))
    except BackendError as exc:
        expected = _expected(kind)
        if not isinstance(exc, expected):
            raise AssertionError(  # noqa: TRY004 - a failed expectation, reported as such
                f"{label} during a {kind} outage raised {type(exc).__name__}: {exc}; "
                f"expected {expected.__name__}"
            ) from exc
        return time.monotonic() - started
    pytest.fail(f"{label} during a {kind} outage returned {value!r}, not an error")


def _ns() -> str:
    return f"o{uuid.uuid4().hex[:12]}"
