"""Pins what the mutation run of the load fast path found untested.

``Schema.load`` runs a generated fast function first and the reference loader when it
declines (``serpens.schema._fast``, ``_fast_eligible``, ``_load``). These tests pin:

- the fast function builds well-formed input itself, for every field shape it generates
  code for, with the reference loader's result (it must not decline valid input);
- on input the reference refuses, it declines, so ``load`` gives the reference's error;
- classes whose building runs user code keep the reference loader alone, so that code
  runs once, as ``__init__`` runs it;
- the reference loader's own rules: errors, ``None`` defaults, self-references.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from serpens.schema import SchemaValidationError
from serpens.schema._fast import fast_for
from tests.serpens.schema import _fast_path_mutant_models as m
from tests.serpens.schema._fast_path_models import Frozen, KwOnly
from tests.serpens.schema.test_fast_path_load import (
    assert_same_outcome,
    outcome,
    reference_only,
    same,
)


def shapes(**changes: Any) -> dict[str, Any]:
    """A valid ``Shapes`` input with *changes*; a change to ``...`` drops the key."""
    data = {**m.SHAPES, **changes}
    return {k: v for k, v in data.items() if v is not ...}


VALID: list[tuple[type, dict[str, Any]]] = [
    (m.Shapes, shapes()),
    (m.Shapes, shapes(ratio=0.25, amount=3, color=1, rate=Decimal(1), either=7)),
    (m.Shapes, shapes(at=datetime(2024, 1, 1, tzinfo=UTC), color=m.Color.RED)),
    (m.Shapes, shapes(item=m.Item("i"), spot=None, note=None, tags=("t",))),
    (m.Shapes, shapes(item=MappingProxyType({"sku": "p"}), bare=(1,), anything=[])),
    (m.Shapes, shapes(scores=MappingProxyType({"s": 2}), meta={}, plain={})),
    (m.Shapes, shapes(maybe=None, qty=3, loose=[1], more=["m"], odd="o")),
    (m.Shapes, shapes(maybe="m", spots=[], items=[])),
    (m.Shapes, shapes(maybe=4, by_id={}, floats={"g": 0.5}, spot_by={})),
    (m.Tree, {"name": "a", "kids": [{"name": "b", "kids": [{"name": "c"}]}]}),
    (m.BadDefault, {"n": 1}),
    (m.BadDefault, {"n": None}),
    (m.NoneFactory, {"n": "s"}),
    (m.NoneDefault, {}),
    (m.Floats, {"ratio": 1.5, "maybe": 2}),
    (Frozen, {"name": "f", "n": 2}),
    (Frozen, {"name": "f"}),
    (KwOnly, {"a": "x"}),
]


@pytest.mark.parametrize(("kind", "data"), VALID)
def test_the_fast_function_builds_valid_input_itself(kind: type, data: dict[str, Any]) -> None:
    """Valid input of every field shape loads through the fast function, as the reference.

    Declining valid input would only cost time, but it is the fast path's contract (the
    generated code for each shape must run), and a wrong value would be a wrong result.
    """
    fast = fast_for(kind)
    assert fast is not None
    loaded = fast(data)
    with reference_only():
        reference = kind.load(data)  # type: ignore[attr-defined]
    assert same(loaded, reference)


def test_loaded_lists_and_dicts_are_new_objects() -> None:
    """The fast path copies every list and dict it takes from the input, as the reference.

    Keeping the input's own list would let a later change to the input change the instance.
    """
    data = shapes()
    loaded = m.Shapes.load(data)
    for name in ["tags", "anything", "bare", "scores", "meta", "plain"]:
        assert getattr(loaded, name) == data[name]
        assert getattr(loaded, name) is not data[name], name


BAD: list[tuple[type, Any]] = [
    (m.Shapes, shapes(scores={"s": "x"})),
    (m.Shapes, shapes(scores={1: 1})),
    (m.Shapes, shapes(meta={1: 1})),
    (m.Shapes, shapes(tags=["t", 1])),
    (m.Shapes, shapes(tags="abc")),
    (m.Shapes, shapes(tags=None)),
    (m.Shapes, shapes(items=[{"sku": 1}])),
    (m.Shapes, shapes(names="k")),
    (m.Shapes, shapes(qty=None)),
    (m.Shapes, shapes(qty="1")),
    (m.Shapes, shapes(name=None)),
    (m.Shapes, shapes(either=None)),
    (m.Shapes, shapes(either=True)),
    (m.Shapes, shapes(ratio=float("nan"))),
    (m.Shapes, shapes(amount="NaN")),
    (m.Shapes, shapes(color="blue")),
    (m.Shapes, shapes(item={"sku": None})),
    (m.Shapes, shapes(name=...)),
    (m.Shapes, "not an object"),
    (m.Shapes, None),
    (m.BadDefault, {}),
    (m.NoneFactory, {}),
    (m.Floats, {"ratio": float("nan")}),
    (m.Floats, {"ratio": 1.0, "maybe": float("inf")}),
    (m.Tree, {"name": "a", "kids": [{"name": "b", "kids": [{"name": 1}]}]}),
]


@pytest.mark.parametrize(("kind", "data"), BAD)
def test_bad_input_gets_the_reference_loaders_error(kind: type, data: Any) -> None:
    """Input the reference refuses is refused with its error, through the fast path too.

    The fast function must decline such input (a wrong type, a bad default, NaN) rather
    than build an instance, and the reference itself must refuse it.
    """
    fast = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    with reference_only():
        reference = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    assert reference[0] != "ok", reference
    assert_same_outcome(fast, reference)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (shapes(tags="abc"), "tags"),
        (shapes(tags=None), "tags"),
        (shapes(name=None), "name"),
        (shapes(either=None), "either"),
        (shapes(qty=None), "qty"),
        (shapes(ratio=float("nan")), "ratio"),
        (shapes(maybe=None, name=None), "name"),
    ],
)
def test_the_reference_loader_refuses_a_wrong_value_under_its_path(
    data: dict[str, Any], path: str
) -> None:
    """The reference loader's type-identity shortcut accepts exactly its own field's type.

    ``type(v) is str`` (or ``None`` for an optional) replaces the converter call only for
    ``str``/``int``/``bool`` fields; anything else goes through the converter.
    """
    with reference_only(), pytest.raises(SchemaValidationError) as caught:
        m.Shapes.load(data)
    assert [e.path for e in caught.value.errors] == [path]


def test_the_reference_loader_reports_every_wrong_field() -> None:
    """Every wrong field is reported with its path and detail, the shortcut's fields too.

    A ``str``/``int`` field taking ``None`` past the type-identity shortcut would only be
    caught by the construction check, which reports the first field alone, without detail.
    """
    data = shapes(name=None, either=None, tags="abc", qty=None)
    expected = [
        ("name", "must be of type str, got null"),
        ("either", "does not match any of int | str, got null"),
        ("tags", "must be of type list, got string"),
        ("qty", "must be of type int, got null"),
    ]
    with pytest.raises(SchemaValidationError) as fast:
        m.Shapes.load(data)
    with reference_only(), pytest.raises(SchemaValidationError) as reference:
        m.Shapes.load(data)
    for caught in [fast, reference]:
        assert [(e.path, e.message) for e in caught.value.errors] == expected


@pytest.mark.parametrize("note", [None, "x"])
def test_the_reference_loader_takes_an_optional_str_as_given(note: str | None) -> None:
    """An optional ``str`` field takes ``None`` and a ``str`` on the reference path."""
    with reference_only():
        assert m.Shapes.load(shapes(note=note)).note == note


def test_a_none_default_admits_none_and_other_defaults_do_not() -> None:
    """``note: str = None`` admits ``None`` (serpens 2.9); ``qty: int = 1`` does not."""
    for reference in [False, True]:
        if reference:
            with reference_only():
                assert m.NoneDefault.load({"note": None}).note is None
        assert m.NoneDefault.load({"note": None}).note is None
        assert m.NoneDefault.load({"note": "n"}).note == "n"
    with pytest.raises(SchemaValidationError):
        m.Item.load({"sku": "a", "qty": None})


@pytest.mark.parametrize("data", ["text", 1, None, ["a"]])
def test_a_non_object_is_refused_with_a_validation_error(data: Any) -> None:
    """A value that is no Mapping is refused as a validation error, naming what it got."""
    with pytest.raises(SchemaValidationError, match="must be an object, got"):
        m.Item.load(data)


def test_a_mapping_other_than_dict_loads_through_the_reference() -> None:
    """A read-only Mapping is accepted, as any Mapping, by the reference loader."""
    assert m.Item.load(MappingProxyType({"sku": "a"})) == m.Item("a")


def test_a_validation_error_from_post_init_keeps_its_paths() -> None:
    """``__post_init__`` raising ``ValidationError`` reports each error under its path."""
    with pytest.raises(SchemaValidationError) as caught:
        m.Reported.load({"n": -1})
    errors = [(e.path, e.message) for e in caught.value.errors]
    assert errors == [("n", "must not be negative"), ("", "overall")]


def test_a_self_reference_loads_on_the_reference_path() -> None:
    """A class naming itself gets a stand-in loader that fetches the real one on first use."""
    data = {"name": "a", "kids": [{"name": "b", "kids": [{"name": "c"}]}]}
    with reference_only():
        tree = m.Tree.load(data)
    assert tree == m.Tree("a", [m.Tree("b", [m.Tree("c")])])


USER_CODE: list[tuple[type, dict[str, Any], dict[str, Any], list[str]]] = [
    (m.InOptional, {"inner": {"v": 1}, "n": 1}, {"inner": {"v": 1}, "n": "x"}, ["post_init"]),
    (
        m.InNestedList,
        {"inner": [[{"v": 1}]], "n": 1},
        {"inner": [[{"v": 1}]], "n": "x"},
        ["post_init"],
    ),
    (m.InNewType, {"inner": {"v": 1}, "n": 1}, {"inner": {"v": 1}, "n": "x"}, ["post_init"]),
    (m.WithDescriptor, {"a": 1, "n": 1}, {"a": 1, "n": "x"}, []),
    (m.SlotThenDescriptor, {"s": "s", "a": 1}, {"s": "s", "a": 1, "n": "x"}, []),
    (m.WithNew, {"a": 1, "n": 1}, {"a": 1, "n": "x"}, []),
    (m.WithSetattr, {"a": 1, "n": 1}, {"a": 1, "n": "x"}, []),
]


@pytest.mark.parametrize(("kind", "good", "bad", "calls"), USER_CODE)
def test_user_code_run_while_building_runs_once(
    kind: type, good: dict[str, Any], bad: dict[str, Any], calls: list[str]
) -> None:
    """A class that runs user code while built has no fast function: the code runs once.

    A fast function would run a nested ``__post_init__``, a descriptor's ``__set__`` or a
    ``__setattr__`` before it meets the bad field, and the reference loader then again.
    """
    assert fast_for(kind) is None
    m.CALLS.clear()
    with pytest.raises(SchemaValidationError):
        kind.load(bad)  # type: ignore[attr-defined]
    assert calls == m.CALLS
    loaded = kind.load(good)  # type: ignore[attr-defined]
    with reference_only():
        assert same(loaded, kind.load(good))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [m.OwnInit, m.ExecInit])
def test_an_init_of_the_classes_own_is_called(kind: type) -> None:
    """An ``__init__`` not generated by ``@dataclass`` for the class builds its instances.

    Even one compiled from a string (as ``@dataclass`` compiles its own) with the fields
    as parameters: only the generated one may be inlined by a fast function.
    """
    assert fast_for(kind) is None
    assert kind.load({"name": "a"}).name == "A"  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [m.NoInit, m.WithInitVar, m.HasShout])
def test_classes_the_fast_path_cannot_inline_keep_the_reference_loader(kind: type) -> None:
    """No ``__init__`` at all, an ``InitVar``, an enum's static ``_missing_``: no fast function.

    Loading them gives the reference loader's outcome, whatever that is.
    """
    assert fast_for(kind) is None
    data = {f.name: "A" for f in dataclasses.fields(kind)}
    fast = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    with reference_only():
        reference = outcome(lambda: kind.load(data))  # type: ignore[attr-defined]
    assert_same_outcome(fast, reference)


def test_an_enum_with_a_static_missing_loads_through_it() -> None:
    """An enum's ``_missing_`` written as a static method is called as Python calls it."""
    assert m.HasShout.load({"shout": "A"}).shout is m.Shout.A
