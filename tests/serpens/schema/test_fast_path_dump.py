"""The dump fast path gives the generic encoder's results, on generated instances.

``Schema.dump`` inlines nested objects, enums, decimals and datetimes, with msgspec
formatting datetimes and UUIDs when it is installed (``serpens.schema._dump``). Each test
compares it with ``serpens._json.to_jsonable``: the same JSON-native data (types
included: ``1``, ``1.0`` and ``True`` differ), or the same ``SerializationError``; and
``decimal_to_json``'s shortcuts with the rule they must keep.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serpens._json import decimal_to_json, dumps, to_jsonable
from serpens.errors import SerializationError
from serpens.schema._dump import _builtins
from tests.serpens.schema._fast_path_inputs import (
    EXOTIC,
    SETTINGS,
    decimals,
    finite,
    instances,
    lines,
    moments,
    text,
    zones,
)
from tests.serpens.schema._fast_path_models import Color, Line, Perm, Point, Size, Stamp, Wide
from tests.serpens.schema._schema_helpers import dump_outcome, same_json

VALUES = st.one_of(
    EXOTIC,
    moments,
    st.times(timezones=zones),
    st.dates(),
    st.uuids(),
    decimals,
    st.decimals(),
    st.sampled_from(Size) | st.sampled_from(Color),
    st.lists(st.integers() | text, max_size=3),
    st.sets(st.integers(), max_size=3),
    st.dictionaries(st.integers() | text, st.integers(), max_size=3),
    lines,
    st.builds(Point, finite),
)


@st.composite
def dumpable(draw: st.DrawFn) -> Any:
    """An instance, sometimes with fields (its own or nested) set to arbitrary values."""
    instance = draw(instances)
    targets = [instance]
    for name in ("lines", "point", "kids", "inner"):
        nested = getattr(instance, name, None)
        targets += nested if isinstance(nested, list) else [nested] if nested is not None else []
    for target in draw(st.lists(st.sampled_from(targets), max_size=3)):
        names = [f.name for f in dataclasses.fields(target)]
        object.__setattr__(target, draw(st.sampled_from(names)), draw(VALUES))
    return instance


@SETTINGS
@given(dumpable())
def test_dump_agrees_with_the_generic_encoder(instance: Any) -> None:
    reference = dump_outcome(lambda: to_jsonable(instance))
    for fast in (
        dump_outcome(instance.dump),
        dump_outcome(lambda: type(instance).dump(instance)),
        dump_outcome(lambda: type(instance).dump([instance], many=True)[0]),
        dump_outcome(lambda: instance.dump(many=False)),
    ):
        assert fast[0] == reference[0], (fast, reference)
        if fast[0] == "ok":
            assert same_json(fast[1], reference[1]), (fast[1], reference[1])
        else:
            assert fast == reference
    if reference[0] == "ok":
        text_outcome = dump_outcome(instance.dumps)
        assert text_outcome == dump_outcome(lambda: dumps(reference[1]))


def test_the_first_bad_field_raises_when_a_list_of_objects_follows_it() -> None:
    """Lists of dataclasses are dumped by a loop of their own; fields still go in order."""
    line = Line("a", Decimal(1))
    wide = Wide(1, "n", True, 1.0, Decimal(1), datetime(2026, 1, 1, tzinfo=UTC), Color.RED,
                Size.S, Perm.R, [line])  # fmt: skip
    object.__setattr__(wide, "ratio", float("nan"))  # before `lines`: this one is named
    object.__setattr__(line, "price", object())
    reference = dump_outcome(lambda: to_jsonable(wide))
    assert reference[0] == "error"
    assert dump_outcome(wide.dump) == reference
    object.__setattr__(wide, "ratio", 1.0)  # now the bad line raises, as the encoder says
    assert dump_outcome(wide.dump) == dump_outcome(lambda: to_jsonable(wide))
    assert dump_outcome(wide.dump) != reference


@SETTINGS
@given(st.one_of(moments, st.datetimes(), st.datetimes(timezones=st.just(UTC))))
def test_datetimes_have_the_isoformat_text(moment: datetime) -> None:
    assert Stamp(moment).dump() == {"at": moment.isoformat()}


def test_msgspec_formats_datetimes_and_uuids_when_installed() -> None:
    assert _builtins() is msgspec.to_builtins


_WITHOUT_MSGSPEC = """
import importlib.abc, sys, uuid
from dataclasses import dataclass
from datetime import UTC, datetime

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "msgspec":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)

sys.meta_path.insert(0, Blocker())
from serpens.schema import Schema
from serpens.schema._dump import _builtins

@dataclass
class Stamp(Schema):
    at: datetime
    ref: uuid.UUID
    naive: datetime

@dataclass
class Outer(Schema):
    stamp: Stamp

at, ref, naive = datetime(2024, 5, 1, 12, 30, tzinfo=UTC), uuid.uuid4(), datetime(2024, 5, 1)
want = {"at": at.isoformat(), "ref": str(ref), "naive": naive.isoformat()}
assert Stamp(at, ref, naive).dump() == want
assert Outer(Stamp(at, ref, naive)).dump() == {"stamp": want}  # inlined in the parent too
assert _builtins() is None
print("ok")
"""


def test_without_msgspec_the_standard_library_formats() -> None:
    """Without msgspec, datetimes and UUIDs (inlined too) are ``isoformat()`` and ``str()``."""
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MSGSPEC], capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_dump_many_on_an_instance_fails_as_before() -> None:
    with pytest.raises(TypeError, match="not iterable"):
        Line("a", Decimal(1)).dump(many=True)


# --- decimal_to_json ------------------------------------------------------------------


def plain_rule(value: Decimal) -> int | float | str:
    """decimal_to_json before its shortcuts: the rule they must keep."""
    if not value.is_finite():
        raise SerializationError(f"cannot encode non-finite Decimal {value} as JSON")
    text = str(value)
    as_float = float(text)
    if repr(as_float) == text:
        return as_float
    if value == value.to_integral_value() and value.adjusted() < 64:
        return int(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return text


decimal_texts = st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,18})?(E[+-]?[0-9]{1,3})?", fullmatch=True)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.decimals(), decimal_texts.map(Decimal), st.floats().map(repr).map(Decimal)))
def test_decimal_to_json_keeps_its_rule(value: Decimal) -> None:
    assert dump_outcome(lambda: decimal_to_json(value)) == dump_outcome(lambda: plain_rule(value))
    result = dump_outcome(lambda: decimal_to_json(value))
    if result[0] == "ok":
        assert type(result[1]) is type(plain_rule(value))


@pytest.mark.parametrize(
    "text",
    [
        "19.99",
        "5.50",
        "100",
        "-100",
        "0.0001",
        "0.00001",
        "-0.0",
        "1.0",
        "1E+2",
        "0.1000000000000000055511151231257827",
        "123456789012345.6",
        "12345678901234.5",
        "1" * 64,
        "1" * 65,
        "9007199254740993",
        "-0.00012",
    ],
)
def test_decimal_to_json_examples_keep_their_rule(text: str) -> None:
    value = Decimal(text)
    assert type(decimal_to_json(value)) is type(plain_rule(value))
    assert json.dumps(decimal_to_json(value)) == json.dumps(plain_rule(value))
