"""Hashed ``@redis_cached`` keys are stable: the digest of a documented JSON text.

A hashed key lives in Redis beyond one process: a new release (or the old one during a
rolling deploy) must compute the same key for the same call, or every entry is missed
at once and written again under a second key. So the text each argument type becomes
is pinned here, byte for byte; a change to it is a change of every stored key.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import logging
import uuid
from typing import Any

import pytest

from serpens.cache._keys import HASHED, KeyBuilder, claim_bucket


class Color(enum.Enum):
    RED = "r"


class Tenant:
    """Identified by ``__cache_key__`` (a dict whose keys are not in sorted order)."""

    def __cache_key__(self) -> dict[str, int]:
        return {"z": 1, "a": 2}


def plain(*args: Any, **kwargs: Any) -> None:
    """The keyed function: its name is part of every text below."""


plain.__module__, plain.__qualname__ = "golden", "plain"
KEYS = KeyBuilder(plain)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


@pytest.mark.parametrize(
    ("args", "kwargs", "text"),
    [
        ((1, "ção"), {"b": None}, '["golden.plain",[1,"ção"],[["b",null]]]'),
        ((dt.date(2024, 1, 2),), {}, '["golden.plain",[{"__dt__":"2024-01-02"}],[]]'),
        ((dt.time(3, 4),), {}, '["golden.plain",[{"__dt__":"03:04:00"}],[]]'),
        ((uuid.UUID(int=7),), {},
         '["golden.plain",[{"__UUID__":"00000000-0000-0000-0000-000000000007"}],[]]'),
        ((decimal.Decimal("1.50"),), {}, '["golden.plain",[{"__Decimal__":"1.50"}],[]]'),
        ((Color.RED,), {}, '["golden.plain",[{"__enum__":"Color.RED"}],[]]'),
        ((b"\x00\xff",), {}, '["golden.plain",[{"__bytes__":"00ff"}],[]]'),
        ((Tenant(),), {},
         '["golden.plain",[{"__object__":"Tenant","key":{"a":2,"z":1}}],[]]'),
        (({3, 1},), {}, '["golden.plain",[["1","3"]],[]]'),
        (({dt.date(2024, 1, 2)},), {},
         '["golden.plain",[["{\\"__dt__\\": \\"2024-01-02\\"}"]],[]]'),
        (({Tenant()},), {},
         ('["golden.plain",[["{\\"__object__\\": \\"Tenant\\", '
         '\\"key\\": {\\"a\\": 2, \\"z\\": 1}}"]],[]]')),
        (({1: "a"},), {}, '["golden.plain",[{"__dict__":"int","items":{"1":"a"}}],[]]'),
        (({"b": {2: "x"}, "a": 1},), {},
         '["golden.plain",[{"a":1,"b":{"__dict__":"int","items":{"2":"x"}}}],[]]'),
    ],
    ids=["plain", "date", "time", "uuid", "decimal", "enum", "bytes", "object", "set",
         "set-of-dates", "set-of-objects", "int-keys", "nested-int-keys"],
)  # fmt: skip
def test_a_hashed_key_is_the_digest_of_its_documented_text(
    args: tuple[Any, ...], kwargs: dict[str, Any], text: str
) -> None:
    assert KEYS.portable(args, kwargs) == _digest(text)


def test_values_of_one_type_that_differ_get_different_keys() -> None:
    pairs = [
        (uuid.UUID(int=1), uuid.UUID(int=2)),
        (decimal.Decimal("1.1"), decimal.Decimal("2.2")),
        ({1}, {2}),
        ({dt.date(2024, 1, 1)}, {dt.date(2024, 1, 2)}),
    ]
    for first, second in pairs:
        assert KEYS.portable((first,), {}) != KEYS.portable((second,), {})


def test_a_dict_with_keys_of_two_types_cannot_be_keyed() -> None:
    # tagged with one of its key types, the key would depend on set order: per process
    assert KEYS.portable(({1: "a", 2.5: "b"},), {}) is None
    assert KEYS.portable((), {"x": {1: "a", "b": 2}}) is None


def test_a_bucket_clash_warning_names_the_bucket_and_both_functions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert claim_bucket("kit-golden-bucket", "golden.first") is None
    with caplog.at_level(logging.WARNING, logger="serpens.cache"):
        assert claim_bucket("kit-golden-bucket:nested", "golden.second") == "golden.first"
    (record,) = caplog.records
    assert record.getMessage() == (
        "@redis_cached('kit-golden-bucket:nested') on golden.second: golden.first keys under "
        "the same or a nested bucket, and readable keys do not name the function, so calls "
        "with equal arguments share entries in one cache; give each function its own bucket"
    )


def test_an_int_too_long_for_text_makes_the_call_bypass_the_cache() -> None:
    # str() refuses ints over 4,300 digits; such an argument is not keyed, never an error
    huge = 10**5000
    assert KEYS.redis("b", (huge,), {}) is None
    assert KEYS.redis("b", (2**699,), {}) == f"b:{HASHED}{KEYS.portable((2**699,), {})}"
