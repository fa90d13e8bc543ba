"""How an outage case runs a call: on a watched thread, within a budget, then recovering.

``_Probe`` runs each sync call on a thread it can give up on, so a call that blocks past
its deadline fails the test instead of hanging the run; ``_down`` takes the backend down
for a block; ``_recovers`` polls until the implementation works again. ``_araises`` and
``_arecovers`` do the same for async ports under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from serpens.errors import BackendError, BackendTimeoutError, BackendUnavailableError
from serpens_contract.outage._declarations import (
    _TIMING_OUT,
    OutageCapabilities,
    OutageHook,
    OutageKind,
)


def _expected(kind: OutageKind) -> type[BackendError]:
    return BackendTimeoutError if kind in _TIMING_OUT else BackendUnavailableError


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

        budget = self.capabilities.budget
        started = time.monotonic()
        worker = threading.Thread(target=target, name=f"outage-{label}", daemon=True)
        worker.start()
        worker.join(budget)
        elapsed = time.monotonic() - started
        if worker.is_alive():
            self.blocked.append(worker)
            pytest.fail(
                f"{label} during a {self.kind} outage still blocked after {elapsed:.2f} s "
                f"(deadline {self.capabilities.deadline:g} s + margin "
                f"{self.capabilities.margin:g} s)"
            )
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


async def _arecovers(
    check: Callable[[], Awaitable[bool]], capabilities: OutageCapabilities, what: str
) -> None:
    deadline = time.monotonic() + capabilities.recovery
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if await asyncio.wait_for(check(), capabilities.budget):
                return
        except BackendError as exc:
            last = exc
        await asyncio.sleep(0.05)
    detail = f"; last error {type(last).__name__}: {last}" if last else ""
    pytest.fail(f"{what} did not recover within {capabilities.recovery:g} s{detail}")


async def _araises(
    label: str, call: Awaitable[Any], kind: OutageKind, capabilities: OutageCapabilities
) -> float:
    """*call* must raise this kind's serpens error within the budget; the time it took."""
    started = time.monotonic()
    try:
        value = await asyncio.wait_for(call, capabilities.budget)
    except BackendError as exc:
        expected = _expected(kind)
        if not isinstance(exc, expected):
            raise AssertionError(  # noqa: TRY004 - a failed expectation, reported as such
                f"{label} during a {kind} outage raised {type(exc).__name__}: {exc}; "
                f"expected {expected.__name__}"
            ) from exc
        return time.monotonic() - started
    except TimeoutError:  # wait_for gave up: the call itself never ended
        pytest.fail(
            f"{label} during a {kind} outage still blocked after "
            f"{time.monotonic() - started:.2f} s (deadline {capabilities.deadline:g} s + "
            f"margin {capabilities.margin:g} s)"
        )
    pytest.fail(f"{label} during a {kind} outage returned {value!r}, not an error")


def _ns() -> str:
    return f"o{uuid.uuid4().hex[:12]}"
