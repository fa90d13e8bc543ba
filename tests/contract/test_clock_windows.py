"""The suites' windows: a check made too late to judge runs again, a wrong answer fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from serpens_contract._clock import TRIES, Window, in_windows, in_windows_sync


def test_a_failed_check_made_in_time_fails_at_once() -> None:
    units: list[float] = []

    def attempt(window: Window) -> None:
        units.append(window.unit)
        with window:
            raise AssertionError("wrong answer")

    with pytest.raises(AssertionError, match="wrong answer"):
        in_windows_sync(attempt, 10.0, real=True)
    assert units == [10.0]


def test_a_check_made_too_late_runs_again_with_twice_the_unit() -> None:
    units: list[float] = []

    def attempt(window: Window) -> None:
        units.append(window.unit)
        with window:
            if len(units) < 3:  # the machine stalls past the unit twice
                time.sleep(window.unit)
                raise AssertionError("stale")

    in_windows_sync(attempt, 0.01, real=True)
    assert units == [0.01, 0.02, 0.04]


def test_every_run_too_slow_fails_naming_the_units_and_the_last_error() -> None:
    def attempt(window: Window) -> None:
        with window:
            time.sleep(window.unit)
            raise AssertionError("stale")

    with pytest.raises(pytest.fail.Exception) as failed:
        in_windows_sync(attempt, 0.01, real=True)
    assert "0.01 s, 0.02 s, 0.04 s" in str(failed.value)
    assert "stale" in str(failed.value)
    assert TRIES == 3


async def test_an_injected_clock_never_counts_real_time() -> None:
    units: list[float] = []
    cleared: list[float] = []

    async def attempt(window: Window) -> None:
        units.append(window.unit)
        with window:
            await asyncio.sleep(0.02)
            raise AssertionError("wrong answer")

    async def between(window: Window) -> None:
        cleared.append(window.unit)

    with pytest.raises(AssertionError, match="wrong answer"):
        await in_windows(attempt, 0.01, real=False, between=between)
    assert (units, cleared) == ([0.01], [])


async def test_between_clears_after_each_run_too_slow() -> None:
    cleared: list[float] = []

    async def attempt(window: Window) -> None:
        with window:
            if not cleared:
                await asyncio.sleep(window.unit)
                raise AssertionError("stale")

    async def between(window: Window) -> None:
        cleared.append(window.unit)

    await in_windows(attempt, 0.01, real=True, between=between)
    assert cleared == [0.01]


def test_a_check_that_holds_passes_however_late() -> None:
    def attempt(window: Window) -> None:
        with window:
            time.sleep(window.unit)

    in_windows_sync(attempt, 0.01, real=True)
