"""Helpers for differential tests: compare an implementation with the fake by outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serpens import errors

__all__ = ["Outcome", "observe", "serpens_error_class"]

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
    is itself a contract violation and should fail loudly with its own traceback.
    """
    try:
        return Outcome(value=func(*args, **kwargs))
    except errors.SerpensError as exc:
        return Outcome(error=serpens_error_class(exc))
