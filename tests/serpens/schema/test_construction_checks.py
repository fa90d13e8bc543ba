"""Schema instances check their field types when constructed, as serpens 2.9.0 did."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Optional, Union

import pytest

from serpens.errors import ValidationError
from serpens.schema import Schema, SchemaValidationError


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents


class Color(Enum):
    RED = "red"


@dataclass
class Person(Schema):
    name: str
    age: int


@dataclass
class Wallet(Schema):
    owner: Person
    balance: Money
    color: Color
    opened: date
    amount: Decimal
    weight: float = 0.0
    nickname: str | None = None
    legacy: Optional[int] = None  # noqa: UP045 - the spelling 2.9-era services use
    either: Union[int, str] = 0  # noqa: UP007 - the spelling 2.9-era services use
    tags: list[str] = field(default_factory=list)
    anything: Any = None


def _wallet(**overrides: Any) -> Wallet:
    values: dict[str, Any] = {
        "owner": Person("Ana", 30),
        "balance": Money(100),
        "color": Color.RED,
        "opened": date(2024, 1, 2),
        "amount": Decimal("1.50"),
    }
    return Wallet(**{**values, **overrides})


def test_a_wrong_type_raises_type_error_with_the_2_9_message() -> None:
    with pytest.raises(TypeError) as raised:
        Person("Mike", "18")  # type: ignore[arg-type]
    assert str(raised.value) == "'age' must be of type int"
    assert raised.value.args == ("'age' must be of type int",)
    assert isinstance(raised.value, SchemaValidationError)
    assert isinstance(raised.value, ValidationError)
    assert [(e.path, e.message) for e in raised.value.errors] == [("age", "must be of type int")]


def test_correct_values_construct() -> None:
    wallet = _wallet(weight=70, nickname="a", legacy=None, either="x", tags=["t"], anything=3)
    assert wallet.weight == 70  # an int is a valid float, as Schema.load accepts
    assert Person.load({"name": "Mike", "age": 18}) == Person("Mike", 18)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"owner": {"name": "Ana", "age": 30}}, "'owner' must be of type Person"),
        ({"balance": 100}, "'balance' must be of type Money"),
        ({"color": "red"}, "'color' must be of type Color"),
        ({"opened": "2024-01-02"}, "'opened' must be of type date"),
        ({"amount": "1.50"}, "'amount' must be of type Decimal"),
        ({"weight": "70"}, "'weight' must be of type float"),
        ({"weight": True}, "'weight' must be of type float"),
        ({"nickname": 1}, "'nickname' must be of type str"),
        ({"legacy": "1"}, "'legacy' must be of type int"),
        ({"either": 1.5}, "'either' must be of type int | str"),
        ({"tags": "t"}, "'tags' must be of type list"),
    ],
)
def test_every_field_annotated_with_a_class_is_checked_with_isinstance(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError) as raised:
        _wallet(**overrides)
    assert str(raised.value) == message


def test_bool_is_not_an_int() -> None:
    with pytest.raises(TypeError, match="'age' must be of type int"):
        Person("Mike", True)


def test_a_subclass_post_init_keeps_the_check_through_super() -> None:
    @dataclass
    class Adult(Schema):
        age: int

        def __post_init__(self) -> None:
            super().__post_init__()
            if self.age < 18:
                raise ValueError("must be an adult")

    with pytest.raises(TypeError, match="'age' must be of type int"):
        Adult("18")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="adult"):
        Adult(3)
    assert dataclasses.asdict(Adult(20)) == {"age": 20}


def test_load_errors_keep_the_2_9_wording() -> None:
    with pytest.raises(TypeError) as wrong:
        Person.load({"name": "Mike", "age": "18"})
    assert str(wrong.value) == "'age' must be of type int"
    assert wrong.value.errors[0].message == "must be of type int, got string"  # detail kept
    with pytest.raises(TypeError) as missing:
        Person.load({"name": "Mike"})
    assert str(missing.value) == "'age' is a required field"
    with pytest.raises(TypeError) as both:
        Person.load({"age": True})
    assert "'name' is a required field" in str(both.value)
    assert "'age' must be of type int" in str(both.value)
