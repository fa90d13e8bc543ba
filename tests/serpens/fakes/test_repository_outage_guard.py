"""The repository fakes' outage guard: a wrapper generated with each method's signature.

Every public method of the repository fakes checks the database's outage first. The
wrapper is generated with the method's own parameters (no ``*args``/``**kwargs``
forwarding, which cost five times the check), so it must pass every kind of parameter
on exactly, keep each default, and refuse a wrong call as the method itself would.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from serpens.errors import BackendUnavailableError
from serpens.fakes import InMemoryRepository
from serpens.fakes._repository_outage import _guarded
from serpens_contract.repository import Product


class _Switch:
    """The two members of the database's outage switch the guard reads."""

    def __init__(self) -> None:
        self._outage_kind: str | None = None

    def _outage_error(self) -> Exception:
        return BackendUnavailableError("the database is down")


class _Holder:
    def __init__(self) -> None:
        self.database = _Switch()


def _every_kind(
    me: object, a: int, b: int = 2, /, c: int = 3, *args: int, d: int, e: int = 5, **kw: int
) -> tuple[object, ...]:
    return (a, b, c, args, d, e, kw)


def test_every_kind_of_parameter_is_passed_on_as_given() -> None:
    guarded = _guarded(_every_kind)
    holder = _Holder()
    assert guarded(holder, 1, d=4) == (1, 2, 3, (), 4, 5, {})
    assert guarded(holder, 1, 9, 8, 7, 6, d=4, e=0, z=1) == (1, 9, 8, (7, 6), 4, 0, {"z": 1})
    assert guarded(holder, 1, c=8, d=4) == (1, 2, 8, (), 4, 5, {})
    assert guarded(holder, 1, d=4, a=7) == (1, 2, 3, (), 4, 5, {"a": 7})  # positional-only
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'd'"):
        guarded(holder, 1)


def test_a_wrong_call_is_refused_as_by_the_method_itself() -> None:
    repo: Any = InMemoryRepository(Product)
    with pytest.raises(
        TypeError,
        match=r"^InMemoryRepository\.get\(\) missing 1 required positional argument: 'ident'$",
    ):
        repo.get()
    with pytest.raises(TypeError, match=r"add\(\) takes 2 positional arguments but 3 were given"):
        repo.add(Product(sku="a"), True)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'limit'"):
        repo.paginate(limit=3)
    assert repo.count() == 0  # nothing was written


def test_an_outage_raises_before_the_method_runs_and_ends_with_it() -> None:
    calls: list[int] = []

    def method(me: object, x: int) -> int:
        calls.append(x)
        return x

    guarded = _guarded(method)
    holder = _Holder()
    holder.database._outage_kind = "unavailable"  # the switch is down
    with pytest.raises(BackendUnavailableError, match="the database is down"):
        guarded(holder, 1)
    assert calls == []
    holder.database._outage_kind = None
    assert guarded(holder, 2) == 2
    assert calls == [2]


def test_an_object_with_no_database_yet_runs_the_method() -> None:
    """``__init__`` may call a public method before the database is attached."""

    def method(me: object, x: int) -> int:
        return x

    assert _guarded(method)(object(), 3) == 3


def test_the_wrapper_keeps_the_methods_name_docs_signature_and_defaults() -> None:
    for name in ("get", "get_by", "list", "add", "upsert", "seek", "close"):
        guarded = getattr(InMemoryRepository, name)
        method = guarded.__wrapped__
        assert (guarded.__name__, guarded.__qualname__) == (name, f"InMemoryRepository.{name}")
        assert guarded.__doc__ == method.__doc__
        assert inspect.signature(guarded) == inspect.signature(method)
        assert guarded.__kwdefaults__ == method.__kwdefaults__
        assert guarded.__defaults__ == method.__defaults__
