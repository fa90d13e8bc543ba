"""Helpers for differential tests: compare an implementation with the fake by outcome.

A store call that ends in :class:`~serpens.errors.BackendTimeoutError` gave no answer to
compare: its deadline passed (the machine stalled the call, another process held the
cores). :func:`observe` lets that error through, and :func:`again_when_stalled` runs the
whole differential test again from scratch, up to :data:`STALLED_RUNS` times; it fails
when every run stalled, so a store that hangs on every run still fails, and a store that
answers wrongly in time fails the run it answers in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serpens import errors

__all__ = [
    "STALLED_RUNS",
    "Outcome",
    "again_when_stalled",
    "observe",
    "serpens_error_class",
    "stalled",
]

STALLED_RUNS = 3
"""Runs of a differential test that a deadline passing stops, before it fails."""

_log = logging.getLogger("serpens_contract")

_PUBLIC_ERRORS: tuple[type[errors.SerpensError], ...] = tuple(
    obj
    for name in errors.__all__
    if isinstance(obj := getattr(errors, name), type) and issubclass(obj, errors.SerpensError)
)


def serpens_error_class(exc: errors.SerpensError) -> type[errors.SerpensError]:
    """Return the most specific public ``serpens.errors`` class *exc* is an instance of.

    Adapters may raise private subclasses; comparisons use the public class so a fake
    and an adapter agree when they raise "the same error".
    """
    for klass in type(exc).__mro__:
        if klass in _PUBLIC_ERRORS:
            return klass
    return errors.SerpensError  # pragma: no cover - every SerpensError has SerpensError in its MRO


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation produced: a value, or the public serpens error class it raised."""

    value: Any = None
    error: type[errors.SerpensError] | None = None


def observe(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Outcome:
    """Call *func* and capture its result or its serpens error.

    Exceptions that are not serpens errors propagate: an SDK exception crossing a port
    is itself a contract violation and should fail loudly with its own traceback. So does
    ``BackendTimeoutError``: a deadline passing is no answer to compare with the fake's,
    and :func:`again_when_stalled` runs the test again.
    """
    try:
        return Outcome(value=func(*args, **kwargs))
    except errors.BackendTimeoutError:
        raise
    except errors.SerpensError as exc:
        return Outcome(error=serpens_error_class(exc))


def stalled(error: BaseException) -> bool:
    """Whether *error* is a deadline passing, or came of one.

    Hypothesis reports a failure it could not replay (the call did not stall again) as a
    group (``FlakyFailure``) of the errors it saw, or raises its own error (such as
    ``FlakyStrategyDefinition``, the replay drawing more data than the stalled run) while
    handling the stall. Either way the run is inconclusive: the next run repeats whatever
    else went wrong. So the error, its group members and the errors it was raised from or
    while handling are searched.
    """
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, errors.BackendTimeoutError):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def again_when_stalled(run: Callable[[], None], *, runs: int = STALLED_RUNS) -> None:
    """Call *run* (a whole differential test); call it again while a deadline stops it.

    A run that fails otherwise fails at once, and the last run's error is raised as it
    is: at most *runs* runs, each from scratch (a new state machine, new examples).
    """
    for attempt in range(1, runs + 1):
        try:
            run()
        except Exception as error:
            if attempt == runs or not stalled(error):
                raise
            _log.warning("run %d of %d stalled, running again: %r", attempt, runs, error)
        else:
            return
