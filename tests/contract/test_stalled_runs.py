"""A differential run a deadline stopped runs again; a wrong answer fails the run it is in.

The state machines here stand for a store that stalls (its call ends in
``BackendTimeoutError``), hangs on every run, or answers wrongly in time, and run through
Hypothesis as the suites' differential tests do, so what Hypothesis raises on a failure it
cannot replay (a group of the errors it saw) is what :func:`again_when_stalled` reads.
"""

from __future__ import annotations

import logging
from typing import Any

import hypothesis
import pytest
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from serpens.errors import BackendTimeoutError, BackendUnavailableError, ConflictError
from serpens_contract import Outcome, again_when_stalled, observe
from serpens_contract.differential import STALLED_RUNS, stalled

_SETTINGS = hypothesis.settings(
    max_examples=5, stateful_step_count=5, database=None, deadline=None, derandomize=True
)


class _Store:
    """Counts calls across runs and answers as its script says."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls = 0
        self.runs = 0

    def get(self) -> int:
        self.calls += 1
        return int(self.answer(self))


def _differential(store: _Store) -> None:
    """One whole differential run against *store*: the fake always answers 1."""
    store.runs += 1

    class Machine(RuleBasedStateMachine):
        @rule()
        def get(self) -> None:
            actual = observe(store.get)
            expected = observe(lambda: 1)
            assert actual == expected, f"store {actual} != fake {expected}"

    run_state_machine_as_test(Machine, settings=_SETTINGS)


def _stall(message: str) -> BackendTimeoutError:
    return BackendTimeoutError(message)


def test_a_run_stopped_once_by_a_deadline_runs_again_and_passes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def once(store: _Store) -> int:  # the third call of the first run stalls
        if store.calls == 3:
            raise _stall("stalled once")
        return 1

    store = _Store(once)
    with caplog.at_level(logging.WARNING, logger="serpens_contract"):
        again_when_stalled(lambda: _differential(store))
    assert store.runs == 2
    assert [r.getMessage()[:26] for r in caplog.records] == ["run 1 of 3 stalled, runnin"]


def test_a_store_stalling_on_every_run_fails_after_the_last_run() -> None:
    def always(store: _Store) -> int:
        raise _stall("hangs")

    store = _Store(always)
    with pytest.raises(BackendTimeoutError, match="hangs"):
        again_when_stalled(lambda: _differential(store))
    assert store.runs == STALLED_RUNS


def test_a_wrong_answer_in_time_fails_its_run_and_is_not_run_again() -> None:
    store = _Store(lambda store: 2)
    with pytest.raises(AssertionError, match=r"store .* != fake"):
        again_when_stalled(lambda: _differential(store))
    assert store.runs == 1


def test_another_backend_error_is_an_answer_compared_with_the_fakes() -> None:
    def unavailable(store: _Store) -> int:
        raise BackendUnavailableError("down")

    store = _Store(unavailable)
    with pytest.raises(AssertionError, match="BackendUnavailableError"):
        again_when_stalled(lambda: _differential(store))
    assert store.runs == 1


def test_observe_lets_a_deadline_through_and_captures_other_serpens_errors() -> None:
    def conflict() -> None:
        raise ConflictError("dup")

    assert observe(conflict) == Outcome(error=ConflictError)
    with pytest.raises(BackendTimeoutError):
        observe(lambda: (_ for _ in ()).throw(_stall("late")))


def _flaky_while_handling_a_stall() -> None:
    try:
        raise _stall("outbox count")
    except BackendTimeoutError:
        raise FlakyStrategyDefinition("the second run stopped drawing earlier") from None


def test_an_error_raised_while_handling_a_stall_is_a_stall() -> None:
    """As in CI: Hypothesis' FlakyStrategyDefinition, raised while handling the stall."""
    with pytest.raises(FlakyStrategyDefinition) as handled:
        _flaky_while_handling_a_stall()
    assert handled.value.__cause__ is None
    assert stalled(handled.value)  # through __context__: `from None` hides it, it is there
    with pytest.raises(AssertionError) as caused:
        raise AssertionError("differs") from ValueError("a cause, no stall")
    assert not stalled(caused.value)
    looped = RuntimeError("loop")
    looped.__context__ = ExceptionGroup("g", [looped])
    assert not stalled(looped)


def test_a_group_with_a_deadline_in_it_is_a_stall_and_one_without_is_not() -> None:
    late = _stall("late")
    wrong = AssertionError("differs")
    assert stalled(late)
    assert stalled(ExceptionGroup("replay", [wrong, ExceptionGroup("inner", [late])]))
    assert not stalled(ExceptionGroup("replay", [wrong]))
    assert not stalled(wrong)
    assert not stalled(TimeoutError("an SDK's own, not the port's"))
