"""In-process keys of ``@cached``/``@acached``: unequal arguments never share an entry.

Arguments that cannot be hashed as they are (lists, dicts, sets, or anything passed by
keyword next to them) are frozen into a key; every part of such an argument (a list's
type, a dict's keys and values, a set's members) must reach the key, or two different
calls would get one result.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.cache import acached, cached, clear_acache, clear_cache


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
