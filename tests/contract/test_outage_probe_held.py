"""The outage probe on a held machine: time the process was stopped is not the call's.

And a recovery poll that runs past its budget once is polled again, not a failure.

A helper process stops this one for real (``SIGSTOP``, then ``SIGCONT``), as two busy cores
hold a CI run's workers. A call whose deadline fires then, and which takes a moment to
end (closing its connection), must pass; a call that never ends must still fail, after
its budget and the time held, and after its budget alone where nothing held the process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from serpens.errors import BackendTimeoutError
from serpens_contract.outage import OutageCapabilities
from serpens_contract.outage._probe import MOST_HELD, _araises, _arecovers, _Probe

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGSTOP")

CAPABILITIES = OutageCapabilities(mode="strict", deadline=0.5, margin=0.2)
BUDGET = CAPABILITIES.budget
HOLD = 1.0  # seconds this process is stopped, from 0.2 s after the call starts

_HOLDER = """
import os, signal, sys, time
pid, after, hold = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print("ready", flush=True)
time.sleep(after)
os.kill(pid, signal.SIGSTOP)
time.sleep(hold)
os.kill(pid, signal.SIGCONT)
"""


@contextmanager
def _held(after: float = 0.2, hold: float = HOLD) -> Iterator[None]:
    """This process stopped *after* seconds into the block, for *hold* seconds."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(os.getpid()), str(after), str(hold)],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "ready\n"
            yield
        finally:
            holder.wait(MOST_HELD + 10)
    assert holder.returncode == 0


def _ends_by_its_deadline() -> None:
    threading.Event().wait(CAPABILITIES.deadline)
    time.sleep(0.1)  # the error's own bookkeeping: closing a connection
    raise BackendTimeoutError("deadline passed")


def _blocks() -> None:
    threading.Event().wait(30)


def test_a_call_ending_by_its_deadline_passes_when_the_machine_held_the_process() -> None:
    probe = _Probe(CAPABILITIES, "frozen")
    with _held():
        error = probe.raises("get", _ends_by_its_deadline)
    assert isinstance(error, BackendTimeoutError)
    assert probe.timings["get"] >= HOLD


def test_a_blocked_call_fails_after_its_budget_and_the_time_held() -> None:
    probe = _Probe(CAPABILITIES, "frozen")
    started = time.monotonic()
    with _held(), pytest.raises(pytest.fail.Exception, match="held the process") as failed:
        probe.raises("get", _blocks)
    assert HOLD <= time.monotonic() - started < BUDGET + HOLD + 1.0
    assert "still blocked" in str(failed.value)


def test_a_blocked_call_fails_after_its_budget_where_nothing_held_the_process() -> None:
    probe = _Probe(CAPABILITIES, "frozen")
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="still blocked") as failed:
        probe.raises("get", _blocks)
    assert BUDGET <= time.monotonic() - started < BUDGET + 0.5
    assert "held" not in str(failed.value)


def test_a_hold_longer_than_the_most_allowed_for_fails_a_blocked_call() -> None:
    capabilities = OutageCapabilities(mode="strict", deadline=0.1, margin=0.1)
    probe = _Probe(capabilities, "frozen")
    started = time.monotonic()
    with (
        _held(after=0.05, hold=MOST_HELD + 1.0),
        pytest.raises(pytest.fail.Exception, match="still blocked"),
    ):
        probe.raises("get", _blocks)
    assert time.monotonic() - started < MOST_HELD + 3.0


async def _aends_by_its_deadline() -> None:
    await asyncio.sleep(CAPABILITIES.deadline)
    await asyncio.sleep(0.1)  # closing a connection
    raise BackendTimeoutError("deadline passed")


def test_an_async_call_ending_by_its_deadline_passes_when_the_machine_held_the_process() -> None:
    async def run() -> float:
        with _held():
            return await _araises("get", _aends_by_its_deadline(), "frozen", CAPABILITIES)

    assert asyncio.run(run()) >= HOLD


def test_an_async_blocked_call_fails_and_is_cancelled() -> None:
    cancelled = asyncio.Event()

    async def blocks() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def run() -> None:
        with pytest.raises(pytest.fail.Exception, match="still blocked"):
            await _araises("get", blocks(), "frozen", CAPABILITIES)
        assert cancelled.is_set()

    started = time.monotonic()
    asyncio.run(run())
    assert BUDGET <= time.monotonic() - started < BUDGET + 0.5


def test_an_async_recovery_poll_that_times_out_once_polls_again() -> None:
    polls = 0

    async def check() -> bool:
        nonlocal polls
        polls += 1
        if polls == 1:
            await asyncio.sleep(30)  # one poll that never answers: a stalled first call
        return True

    capabilities = OutageCapabilities(mode="strict", deadline=0.2, margin=0.1, recovery=3.0)
    asyncio.run(_arecovers(check, capabilities, "the cache"))
    assert polls == 2


def test_an_async_recovery_poll_that_always_times_out_fails_naming_the_timeout() -> None:
    async def check() -> bool:
        await asyncio.sleep(30)
        return True

    capabilities = OutageCapabilities(mode="strict", deadline=0.2, margin=0.1, recovery=1.0)
    with pytest.raises(pytest.fail.Exception, match="within 1 s; last error TimeoutError"):
        asyncio.run(_arecovers(check, capabilities, "the cache"))


def test_an_async_recovery_check_raising_a_timeout_of_its_own_fails_at_once() -> None:
    async def check() -> bool:
        raise TimeoutError("an SDK's, not translated")

    capabilities = OutageCapabilities(mode="strict", deadline=0.2, margin=0.1, recovery=5.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="an SDK's"):
        asyncio.run(_arecovers(check, capabilities, "the cache"))
    assert time.monotonic() - started < 1.0
