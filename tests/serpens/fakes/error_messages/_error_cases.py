"""Helpers of the golden tables of serpens' own error messages, raised through the fakes.

Each ``test_*`` module of this directory pins one port's messages (the repository's in
three); they share the helpers here: a value passed past the type checker, a fake in a
simulated outage, small repositories, and the comparison of what a call raises.

The contract suites pin error types and ``FieldError`` paths on every backend, but not
wording: third-party adapters word their own errors. The messages serpens itself writes
(the shared rules in ``serpens/_rules`` and the fakes) are what users read, so this golden
table pins each one's type and ``str()`` exactly, and for a ``ValidationError`` its
``(path, message)`` pairs: a rewording shows up here as a reviewed change.

Every expected text is a literal, pasted from a run; none is computed from the code under
test. Calls whose message holds something that changes between runs (a generated id, a
memory address) are left out or reach the raise site another way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pytest

from serpens.errors import ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Pair, Product

_S = TypeVar("_S", bound="_Switch")


def _untyped(value: object) -> Any:
    """*value* as a caller without a type checker passes it (a wrong type on purpose)."""
    return value


class _Switch(Protocol):
    def start_outage(self, *, timeout: bool = False) -> None: ...


def _down(fake: _S, *, timeout: bool = False) -> _S:
    """*fake* in a simulated outage (unreachable, or not answering with *timeout*)."""
    fake.start_outage(timeout=timeout)
    return fake


# -- repository ------------------------------------------------------------------------


def _products(*skus: str) -> InMemoryRepository[Product]:
    """A repository of Product on a fresh database, holding one committed row per sku."""
    repo = InMemoryRepository(Product, database=InMemoryDatabase())
    for sku in skus:
        repo.add(Product(sku=sku))
    repo.commit()
    return repo


def _pairs() -> InMemoryRepository[Pair]:
    return InMemoryRepository(Pair, database=InMemoryDatabase())


def _fields(error: BaseException) -> list[tuple[str, str]]:
    """The ``(path, message)`` of each FieldError a ValidationError carries, else none."""
    if isinstance(error, ValidationError):
        return [(e.path, e.message) for e in error.errors]
    return []


async def _raised(call: Callable[[], object]) -> BaseException:
    """What *call* raises, awaiting what it returns when that is awaitable."""
    try:
        result = call()
        if inspect.isawaitable(result):
            await result
    except Exception as exc:  # the error under test, whatever its type
        return exc
    pytest.fail("the call raised nothing")


async def _observed(
    call: Callable[[], object],
) -> tuple[type[BaseException], str, list[tuple[str, str]]]:
    """What *call* raises as one tuple: its exact type, its text and its field errors.

    Compared whole in each table's test, so a failure shows all three together.
    """
    raised = await _raised(call)
    return type(raised), str(raised), _fields(raised)
