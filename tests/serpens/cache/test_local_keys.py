"""In-process keys of ``@cached``/``@acached``: unequal arguments never share an entry.

Arguments that cannot be hashed as they are (lists, dicts, sets, or anything passed by
keyword next to them) are frozen into a key; every part of such an argument (a list's
type, a dict's keys and values, a set's members) must reach the key, or two different
calls would get one result.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from serpens.cache import acached, cached, clear_acache, clear_cache
from serpens.cache._decorators import _ASYNC


def _echo(bucket: str) -> tuple[Callable[..., str], list[str]]:
    calls: list[str] = []

    @cached(bucket, 60)
    def echo(value: object, *, flag: int = 0) -> str:
        text = f"{type(value).__name__}:{value!r}:{flag}"
        calls.append(text)
        return text

    return echo, calls


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ([1], (1,)),  # a list and a tuple of the same items
        ([[1]], [(1,)]),
        ({1: "a"}, {2: "a"}),  # dict keys
        ({"a": 1}, {"a": 2}),  # dict values
        ({"a": [1]}, {"a": [2]}),
        ({1, 2}, {1, 3}),  # set members
        ([{1}], [{2}]),
    ],
    ids=["list-tuple", "nested-list-tuple", "dict-keys", "dict-values", "nested-values",
         "set-members", "nested-set"],
)  # fmt: skip
def test_unequal_frozen_arguments_get_their_own_entries(first: object, second: object) -> None:
    echo, calls = _echo("local-keys-distinct")
    try:
        for how in ({}, {"flag": 1}):  # positional only, and frozen with a keyword
            assert echo(first, **how) != echo(second, **how)
            assert echo(first, **how) == calls[-2]  # a hit: its own entry, not the other's
        assert len(calls) == 4
    finally:
        clear_cache("local-keys-distinct")


def test_keyword_arguments_are_part_of_the_key() -> None:
    echo, calls = _echo("local-keys-keywords")
    try:
        assert [echo("x", flag=1), echo("x", flag=2), echo("x", flag=1)] == [
            "str:'x':1",
            "str:'x':2",
            "str:'x':1",
        ]
        assert len(calls) == 2
    finally:
        clear_cache("local-keys-keywords")


def test_equal_frozen_arguments_share_one_entry() -> None:
    echo, calls = _echo("local-keys-equal")
    try:
        echo({"a": [1, {2, 3}]}, flag=1)
        echo({"a": [1, {3, 2}]}, flag=1)
        echo([{"b": 1, "c": 2}])
        echo([{"c": 2, "b": 1}])
        assert len(calls) == 2
    finally:
        clear_cache("local-keys-equal")


async def test_async_keys_freeze_the_same_way() -> None:
    calls: list[object] = []

    @acached("local-keys-async", 60)
    async def echo(value: object) -> str:
        calls.append(value)
        return repr(value)

    try:
        assert await echo({"a": [1]}) != await echo({"a": [2]})
        assert await echo({1, 2}) != await echo({1, 3})
        assert await echo([1]) == "[1]"
        assert len(calls) == 5
    finally:
        clear_acache("local-keys-async")


def test_cached_keeps_self_in_the_key_unless_skip_self() -> None:
    class Repo:
        def __init__(self, tenant: str) -> None:
            self.tenant = tenant

        @cached("local-keys-self", 60)
        def get(self, ident: int) -> str:
            return f"{self.tenant}:{ident}"

        @cached("local-keys-self", 60, skip_self=True)
        def shared(self, ident: int) -> str:
            return f"{self.tenant}:{ident}"

    try:
        assert [Repo("a").get(1), Repo("b").get(1)] == ["a:1", "b:1"]  # each instance its own
        assert [Repo("a").shared(1), Repo("b").shared(1)] == ["a:1", "a:1"]
    finally:
        clear_cache("local-keys-self")


async def test_acached_keeps_the_first_argument_of_a_static_method() -> None:
    calls: list[int] = []

    class Rates:
        @staticmethod
        @acached("local-keys-static", 60)
        async def of(ident: int) -> int:
            calls.append(ident)
            return ident * 10

        @staticmethod
        @acached("local-keys-static", 60)
        async def none() -> int:  # no parameter at all: not a method either
            calls.append(0)
            return 0

    try:
        assert [await Rates.of(1), await Rates.of(2), await Rates.of(1)] == [10, 20, 10]
        assert [await Rates.none(), await Rates.none()] == [0, 0]
        assert calls == [1, 2, 0]
    finally:
        clear_acache("local-keys-static")


async def test_acached_defaults_live_300_seconds_and_skip_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])  # the stores read it per call
    calls: list[str] = []

    @acached("local-keys-defaults")
    async def find(name: str) -> str | None:
        calls.append(name)
        return None if name == "missing" else name

    try:
        assert [await find("missing"), await find("missing")] == [None, None]
        await find("a")
        now[0] = 1299.999
        await find("a")
        now[0] = 1300.0
        await find("a")
        assert calls == ["missing", "missing", "a", "a"]
    finally:
        clear_acache("local-keys-defaults")


def test_acached_takes_its_maxsize_and_refuses_a_sync_function() -> None:
    @acached("local-keys-bounded", 60, maxsize=3)
    async def bounded() -> None: ...

    assert _ASYNC["local-keys-bounded"].max_entries == 3

    def sync() -> None: ...

    with pytest.raises(TypeError) as caught:
        acached("local-keys-bounded", 60)(sync)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "@acached is for async functions; use @cached for "
        "test_acached_takes_its_maxsize_and_refuses_a_sync_function.<locals>.sync"
    )


async def test_a_method_key_drops_self_only() -> None:
    class Repo:
        @acached("local-keys-method-args", 60)
        async def get(self, ident: int, *, flag: int = 0) -> str:
            return f"{ident}:{flag}"

    try:
        repo = Repo()
        assert [await repo.get(1), await repo.get(2), await repo.get(2, flag=1)] == [
            "1:0",
            "2:0",
            "2:1",
        ]
        assert [await Repo().get(1), await Repo().get(ident=2)] == ["1:0", "2:0"]
    finally:
        clear_acache("local-keys-method-args")
