"""``serpens.schema`` as services written for serpens 2.9.0 call it (README "Schema").

2.9.0's ``Schema`` raised ``TypeError(*messages)``, one message per bad field, accepted
``None`` for a field whose default is ``None`` (``buzz: str = None``, the form 2.9.0's own
tests used), and ``dump`` took a ``decoder=`` class. Each test is one of those call shapes.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from serpens.schema import Schema


@dataclass
class Person(Schema):
    name: str
    age: int


@dataclass
class Simple(Schema):
    """2.9.0's ``SimpleSchema``: optional fields declared with a ``None`` default."""

    created_at: datetime = field(default=None)  # type: ignore[assignment] # 2.9.0's spelling
    buzz: str = None  # type: ignore[assignment]


class _DecimalDecoder(json.JSONDecoder):
    """2.9.0's ``DynamoDBDecoder``: JSON floats as ``Decimal``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, parse_float=Decimal, **kwargs)


class TestErrorArgs:
    def test_every_missing_field_is_one_of_the_error_s_args(self) -> None:
        with pytest.raises(TypeError) as caught:
            Person.load({})
        assert caught.value.args == ("'name' is a required field", "'age' is a required field")

    def test_every_mistyped_field_is_one_of_the_error_s_args_at_load(self) -> None:
        with pytest.raises(TypeError) as caught:
            Person.load({"name": 1, "age": "x"})
        assert caught.value.args == ("'name' must be of type str", "'age' must be of type int")

    def test_every_mistyped_field_is_one_of_the_error_s_args_at_construction(self) -> None:
        with pytest.raises(TypeError) as caught:
            Person(1, "x")  # type: ignore[arg-type]
        assert caught.value.args == ("'name' must be of type str", "'age' must be of type int")
        assert str(caught.value) == (
            "invalid Person: 'name' must be of type str; 'age' must be of type int"
        )

    def test_one_bad_field_keeps_a_single_arg(self) -> None:
        with pytest.raises(TypeError) as caught:
            Person("Mike", "18")  # type: ignore[arg-type]
        assert caught.value.args == ("'age' must be of type int",)

    def test_an_error_with_several_args_survives_pickling(self) -> None:
        with pytest.raises(TypeError) as caught:
            Person.load({})
        copy = pickle.loads(pickle.dumps(caught.value))
        assert str(copy) == str(caught.value)
        assert copy.errors == caught.value.errors  # type: ignore[attr-defined]


class TestNoneDefaults:
    def test_a_field_defaulting_to_none_may_be_left_out(self) -> None:
        assert Simple.load({}) == Simple()
        assert Simple().buzz is None

    def test_a_field_defaulting_to_none_accepts_none(self) -> None:
        assert Simple.load({"buzz": None, "created_at": None}) == Simple()
        assert Simple.loads('{"buzz": null}') == Simple()
        assert Simple(None, None) == Simple()  # type: ignore[arg-type]

    def test_a_field_defaulting_to_none_still_checks_other_values(self) -> None:
        with pytest.raises(TypeError) as caught:
            Simple.load({"buzz": 1})
        assert caught.value.args == ("'buzz' must be of type str",)
        with pytest.raises(TypeError):
            Simple(buzz=1)  # type: ignore[arg-type]


class TestDumpDecoder:
    def test_dump_reads_the_json_back_with_the_given_decoder(self) -> None:
        @dataclass
        class Price(Schema):
            amount: float

        dumped = Price.dump(Price(1.5), decoder=_DecimalDecoder)
        assert dumped == {"amount": Decimal("1.5")}
        assert type(dumped["amount"]) is Decimal
        assert Price(2.5).dump(decoder=_DecimalDecoder) == {"amount": Decimal("2.5")}
        assert Person.dump([Person("a", 1)], True, json.JSONDecoder) == [{"name": "a", "age": 1}]
