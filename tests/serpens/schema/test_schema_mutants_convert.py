"""Loading each annotation kind through both paths, and the construction checks.

Survivors of the mutation run of ``serpens.schema`` (``_convert``, ``_scalars``,
``_numbers``, ``_construct``): the reference converters behind annotations the fast path
hands over (``None``, unions, literals, enums, sets, tuples, dicts, ``Annotated``,
``NewType``), the kind a failure names (``got string``, documented in docs/schema.md),
the quoted input in a parse failure, the exact digits ``loads`` gives a ``Decimal``
reached through a container or a ``NewType``, ``loads``'s own errors matching
``json.loads``'s, and the ``TypeError`` a mistyped constructor argument raises. Every
load is made twice, with and without the fast path, and both must agree.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal, NewType

import pytest

import serpens.schema
from serpens.schema import Schema, SchemaValidationError


class Level(enum.Enum):
    ONE = 1
    TWO = 2


class Switch(enum.Enum):
    ON = True
    OFF = False


class Text(str):
    __slots__ = ()


UserId = NewType("UserId", int)
Money = NewType("Money", Decimal)
LONG = "not-a-value-" + "x" * 60  # longer than the 40 characters a message quotes


@dataclasses.dataclass(frozen=True)
class Err:
    """An expected failure: the field errors as ``(path, message)``, in order."""

    errors: tuple[tuple[str, str], ...]


def err(message: str, path: str = "x") -> Err:
    return Err(((path, message),))


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    """Load with the fast path on or off (serpens.schema's private switch)."""
    serpens.schema._USE_FAST_PATH = enabled
    try:
        yield
    finally:
        serpens.schema._USE_FAST_PATH = True


def model(hint: Any) -> type:
    """A Schema dataclass with one field ``x`` annotated *hint*."""
    return dataclasses.make_dataclass("M", [("x", hint)], bases=(Schema,))


def outcome(cls: type, data: Any) -> tuple[Any, ...]:
    """What loading *data* gives, the same with and without the fast path."""
    results = []
    for enabled in (True, False):
        with fast_path(enabled):
            try:
                value = cls.load(data).x
                results.append(("ok", type(value), value))
            except SchemaValidationError as exc:
                results.append(("error", tuple((e.path, e.message) for e in exc.errors)))
    assert results[0] == results[1], results
    return results[0]


def expected(result: Any) -> tuple[Any, ...]:
    if isinstance(result, Err):
        return ("error", result.errors)
    return ("ok", type(result), result)


LOADS: list[tuple[Any, Any, Any]] = [
    # the None annotation, and optional members
    (None, None, None),
    (None, 1, err("must be of type None, got integer")),
    (int | None, 5, 5),
    (int | None, None, None),
    (int | None, "a", err("must be of type int, got string")),
    # unions: every member is tried, in order; None only when a member allows it
    (int | str, "a", "a"),
    (int | str, 1, 1),
    (int | str, 1.5, err("does not match any of int | str, got number")),
    (int | str, None, err("does not match any of int | str, got null")),
    (int | str | None, None, None),
    # literals and enums: same type and value only (True is no 1)
    (Literal[1, "a"], "a", "a"),
    (Literal[1, "a"], True, err("must be one of 1, 'a'")),
    (Literal[1, "a"], 1.0, err("must be one of 1, 'a'")),
    (Level, 1, Level.ONE),
    (Level, True, err("must be one of 1, 2")),
    (Level, 3, err("must be one of 1, 2")),
    (Switch, True, Switch.ON),
    (Switch, False, Switch.OFF),
    # lists: a list, or a tuple from Python; never a string
    (list[int], [1, 2], [1, 2]),
    (list[int], (1, 2), [1, 2]),
    (list[int], [1, "x"], err("must be of type int, got string", "x[1]")),
    (list[int], (1, "x"), err("must be of type int, got string", "x[1]")),
    (list[str], "abc", err("must be of type list, got string")),
    (list[int], 5, err("must be of type list, got integer")),
    (list, [1, "x"], [1, "x"]),
    # sets and frozensets
    (set[int], [1, 1], {1}),
    (set[int], [1, "x"], err("must be of type int, got string", "x[1]")),
    (set, [1, "x"], {1, "x"}),
    (set[int], "abc", err("must be of type set (array), got string")),
    (frozenset[int], [1], frozenset({1})),
    # tuples: fixed (each item its type) or homogeneous (tuple[T, ...]) or bare
    (tuple[int, str], [1, "a"], (1, "a")),
    (
        tuple[int, str],
        ["a", 1],
        Err(
            (
                ("x[0]", "must be of type int, got string"),
                ("x[1]", "must be of type str, got integer"),
            )
        ),
    ),
    (tuple[int, str], "ab", err("must be of type tuple (array), got string")),
    (tuple[int, ...], [1, 2, 3], (1, 2, 3)),
    (tuple[int, ...], [1, "x"], err("must be of type int, got string", "x[1]")),
    (tuple, [1, "x"], (1, "x")),
    # dicts: keys and values converted, int keys from JSON's string keys
    (dict[str, int], {"a": 1}, {"a": 1}),
    (dict[str, int], {"a": "x"}, err("must be of type int, got string", "x['a']")),
    (dict[str, int], [1], err("must be of type dict (object), got array")),
    (dict, {"a": [1]}, {"a": [1]}),
    (dict[int, int], {"7": 1}, {7: 1}),
    (dict[int, int], {1: 5}, {1: 5}),
    (dict[int, int], {"a": 5}, err("must be of type int, got string", "x['a']")),
    (dict[list[int], int], {(1, 2): 3}, err("key must be hashable", "x[(1, 2)]")),
    # Annotated and NewType are their inner type
    (Annotated[int, "meta"], 1, 1),
    (Annotated[int, "meta"], "1", err("must be of type int, got string")),
    (UserId, 7, 7),
    # scalars: the kind a failure names, and the input quoted (at most 40 characters)
    (bool, 1, err("must be of type bool, got integer")),
    (bytes, 1, err("must be of type bytes (base64 string), got integer")),
    (float, "1", err("must be of type float, got string")),
    (int, Decimal(2), 2),
    (int, Decimal("2.5"), err("must be of type int, got Decimal")),
    (Decimal, Text("1.5"), Decimal("1.5")),
    (Decimal, True, err("must be of type Decimal, got boolean")),
    (Decimal, [1], err("must be of type Decimal, got array")),
    (Decimal, LONG, err(f"is not a valid decimal: {LONG[:40]!r}")),
    (datetime, True, err("must be of type datetime, got boolean")),
    (datetime, LONG, err(f"is not an ISO 8601 datetime: {LONG[:40]!r}")),
    (date, 1, err("must be of type date, got integer")),
    (date, LONG, err(f"is not an ISO 8601 date: {LONG[:40]!r}")),
    (time, 1, err("must be of type time, got integer")),
    (time, LONG, err(f"is not an ISO 8601 time: {LONG[:40]!r}")),
    (uuid.UUID, 1, err("must be of type UUID, got integer")),
    (uuid.UUID, LONG, err(f"is not a valid UUID: {LONG[:40]!r}")),
]


@pytest.mark.parametrize(("hint", "data", "result"), LOADS)
def test_each_annotation_loads_as_documented(hint: Any, data: Any, result: Any) -> None:
    """Pin what ``load`` gives for each annotation kind (docs/schema.md's table).

    The reference converters behind unions, literals, enums, containers, ``Annotated``
    and ``NewType``, and the scalars' failures: the kind found (``got string``) and the
    quoted input are in ``errors``. Both paths must agree.
    """
    assert outcome(model(hint), {"x": data}) == expected(result)


def test_a_union_failure_keeps_the_2_9_wording() -> None:
    """A single mistyped field keeps 2.9's one-line message; ``None`` is named as such."""
    with pytest.raises(SchemaValidationError) as caught:
        model(None).load({"x": 1})
    assert str(caught.value) == "'x' must be of type None"


# --- loads: exact Decimal digits wherever a Decimal annotation is reached --------------

DIGITS = "12345678901234567.89"


@pytest.mark.parametrize(
    ("hint", "text", "pick"),
    [
        (Money, f'{{"x": {DIGITS}}}', lambda x: x),
        (list[Decimal], f'{{"x": [{DIGITS}]}}', lambda x: x[0]),
        (Decimal | None, f'{{"x": {DIGITS}}}', lambda x: x),
        (dict[str, Decimal], f'{{"x": {{"k": {DIGITS}}}}}', lambda x: x["k"]),
    ],
)
def test_loads_keeps_every_digit_of_a_decimal_inside_containers(
    hint: Any, text: str, pick: Callable[[Any], Any]
) -> None:
    """``loads`` gives ``Decimal(text)`` for a Decimal under a NewType, list, union or dict.

    Only classes that reach a Decimal annotation parse with the recording decoder
    (``_numbers.needs_literals``); missing one loses digits through a float.
    """
    assert pick(model(hint).loads(text).x) == Decimal(DIGITS)


@dataclasses.dataclass
class Priced(Schema):
    name: str
    price: Decimal = Decimal(0)


@dataclasses.dataclass
class Named(Schema):
    name: str


def loads_outcome(cls: type, text: Any) -> tuple[Any, ...]:
    try:
        return ("ok", cls.loads(text).name)
    except (SchemaValidationError, TypeError) as exc:
        return ("error", type(exc), str(exc).replace(cls.__name__, "<class>"))


@pytest.mark.parametrize(
    "text",
    [
        '\ufeff{"name": "a"}',  # a BOM in a str: json.loads refuses it at char 0
        b'{"name": "\xed\xa0\x80"}',  # a lone surrogate in UTF-8 bytes: json.loads keeps it
        '{"name": "a"',
        123,  # no text at all: json.loads's TypeError
    ],
)
def test_loads_with_a_decimal_field_parses_as_json_loads(text: Any) -> None:
    """A class reaching a Decimal parses with its own decoder: the same results and errors.

    ``Priced`` (a Decimal field) takes ``_numbers.decode``, ``Named`` plain ``json.loads``;
    their outcomes must not differ (the BOM check, ``surrogatepass``, the TypeError text).
    """
    assert loads_outcome(Priced, text) == loads_outcome(Named, text)


def test_a_bom_is_refused_at_the_first_character() -> None:
    """The BOM error names char 0, as ``json.loads``'s does."""
    with pytest.raises(SchemaValidationError, match=r"\(char 0\)"):
        Priced.loads('\ufeff{"name": "a"}')


# --- construction checks ---------------------------------------------------------------


def mistyped(cls: type, *args: Any) -> str | None:
    """The TypeError constructing *cls* raises, else None."""
    try:
        cls(*args)
    except TypeError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    ("hint", "value", "message"),
    [
        (int, None, "'x' must be of type int"),
        (int, 1, None),
        (int | None, None, None),
        (int | None, "a", "'x' must be of type int"),
        (int | str, None, "'x' must be of type int | str"),
        (int | str, "a", None),
        (list[int], None, "'x' must be of type list"),
        (list[int], [1], None),
        (Annotated[int, "meta"], "a", "'x' must be of type int"),
        (Annotated[int, "meta"], 1, None),
    ],
)
def test_construction_checks_each_annotation_kind(
    hint: Any, value: Any, message: str | None
) -> None:
    """2.9's construction check: ``None`` only where the annotation allows it.

    ``X | None`` admits None, ``X`` and ``X | Y`` do not, a container checks its class,
    ``Annotated[X, ...]`` checks ``X``.
    """
    assert mistyped(model(hint), value) == message


def test_construction_checks_fields_after_an_unchecked_one() -> None:
    """A field the check skips (``Any``) does not end the checks of the fields after it."""
    cls = dataclasses.make_dataclass("M", [("a", Any), ("b", int)], bases=(Schema,))
    assert mistyped(cls, object(), "x") == "'b' must be of type int"


_OUTER = """
from __future__ import annotations
import dataclasses
from serpens.schema import Schema

@dataclasses.dataclass
class Outer(Schema):
    inner: Later
"""

_LATER = """
from decimal import Decimal

@dataclasses.dataclass
class Later(Schema):
    x: Decimal
"""


def test_loads_keeps_decimal_digits_once_a_forward_reference_resolves() -> None:
    """A class loaded before the class it names exists, and after: every digit then.

    While ``Later`` is undefined, ``loads`` reports the annotation; whether the class
    reaches a Decimal is cached, so that unknown must count as "yes", not "no".
    """
    module = types.ModuleType("_schema_mutant_forward")
    sys.modules[module.__name__] = module
    try:
        exec(_OUTER, module.__dict__)  # a module defined in two steps
        text = f'{{"inner": {{"x": {DIGITS}}}}}'
        with pytest.raises(TypeError, match="Later"):
            module.Outer.loads(text)
        exec(_LATER, module.__dict__)
        assert module.Outer.loads(text).inner.x == Decimal(DIGITS)
    finally:
        del sys.modules[module.__name__]
