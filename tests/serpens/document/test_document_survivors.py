"""BaseDocument behaviour that the mutation run of ``serpens/document.py`` found untested.

Each test pins one observable rule that a surviving mutant broke: the configuration
errors name the class and what to fix, ``save`` replaces by default, ``query`` honours
``limit``, ``get_table`` without boto3 names the ``aws`` extra, maps and sets are dumped
element by element, and ``from_item`` converts dict values, numbers, unions and nested
dataclasses as its docstring says. Store round trips run on the in-memory store and on
DynamoDB (moto's server), with a fresh uuid-named table per test; the rest call
``to_item``/``from_item`` directly, which never reach a store.
"""

from __future__ import annotations

import enum
import sys
import typing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from serpens import document
from serpens.document import BaseDocument
from serpens.errors import ConfigurationError, MissingExtraError, ValidationError
from tests.serpens.document._stores import STORES, store_for


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Place:
    city: str
    zip_code: str = ""  # added after items were stored without it


@dataclass
class ShelfDocument(BaseDocument):
    """Every field type a survivor changed; used through to_item/from_item, never stored."""

    _table_name_ = "shelf"
    id: str
    kind: str = field(init=False, default="shelf")  # not an __init__ argument
    name: str = ""
    nickname: str | None = "anon"
    colors: dict[str, Color] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    # a 2.9-era bare annotation: no element type, so elements load as they are
    legacy_tags: typing.List = field(default_factory=list)  # type: ignore[type-arg]  # noqa: UP006
    price: Decimal = Decimal(0)
    count: int = 0
    amount: float | int = 0
    sizes: list[int] | int = 0
    place: Place | None = None


@dataclass
class InitFirstDocument(BaseDocument):
    """A non-init field before a required one (dataclasses allow that order)."""

    _table_name_ = "init-first"
    id: str
    kind: str = field(init=False, default="init-first")
    name: str


@dataclass
class LogDocument(BaseDocument):
    _table_name_ = "log"
    _key_ = ("user", "at")
    user: str
    at: str
    amount: int | float = 0
    stock: dict[str, int] = field(default_factory=dict)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    """A store with a fresh ``log`` table (uuid-named: moto's server may be shared)."""
    store = store_for(request)
    LogDocument._table_name_ = f"t{uuid.uuid4().hex[:10]}-log"
    store.create_table(LogDocument._table_name_, "user", "at")
    with document.use_store(store):
        yield store


class TestConfiguration:
    def test_an_empty_table_name_is_a_configuration_error(self) -> None:
        @dataclass
        class Blank(BaseDocument):
            _table_name_ = ""
            id: str

        with pytest.raises(ConfigurationError, match="Blank"):
            Blank(id="1").to_item()

    def test_a_missing_table_name_error_names_the_class_and_the_attribute(self) -> None:
        @dataclass
        class Nameless(BaseDocument):
            id: str

        with pytest.raises(ConfigurationError) as raised:
            Nameless(id="1").to_item()
        assert "Nameless" in str(raised.value)
        assert "_table_name_" in str(raised.value)

    def test_a_missing_dataclass_decorator_error_names_the_class_and_the_decorator(
        self,
    ) -> None:
        class Plain(BaseDocument):
            _table_name_ = "plain"

        with pytest.raises(ConfigurationError) as raised:
            Plain.from_item({"id": "1"})
        assert "Plain" in str(raised.value)
        assert "@dataclass" in str(raised.value)

    def test_from_item_checks_the_configuration_too(self) -> None:
        @dataclass
        class Nameless(BaseDocument):
            id: str

        with pytest.raises(ConfigurationError, match="Nameless"):
            Nameless.from_item({"id": "1"})

    def test_get_table_without_boto3_names_the_aws_extra(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(document, "_resource", None)  # no resource built yet
        monkeypatch.setitem(sys.modules, "boto3", None)  # as if serpens[aws] were not installed
        with pytest.raises(MissingExtraError) as raised:
            ShelfDocument.get_table()
        assert raised.value.extra == "aws"
        assert "serpens[aws]" in str(raised.value)


class TestStoreCalls:
    def test_save_replaces_an_existing_document_by_default(self, store: object) -> None:
        LogDocument(user="u1", at="2024-01", amount=1).save()
        LogDocument(user="u1", at="2024-01", amount=2).save()
        assert LogDocument.get_by_key({"user": "u1", "at": "2024-01"}) == LogDocument(
            user="u1", at="2024-01", amount=2
        )

    def test_query_returns_at_most_limit_documents(self, store: object) -> None:
        for at in ["2024-01", "2024-02", "2024-03"]:
            LogDocument(user="u1", at=at).save()
        assert [e.at for e in LogDocument.query("u1", limit=2)] == ["2024-01", "2024-02"]

    def test_a_union_number_loads_as_the_first_option_that_fits(self, store: object) -> None:
        """``int | float``: DynamoDB's Decimal 1.5 is no int, so it becomes a float."""
        LogDocument(user="u1", at="a", amount=1.5).save()
        LogDocument(user="u1", at="b", amount=2).save()
        loaded = LogDocument.query("u1")
        assert [(e.amount, type(e.amount)) for e in loaded] == [(1.5, float), (2, int)]

    def test_dict_values_load_back_as_their_declared_type(self, store: object) -> None:
        LogDocument(user="u1", at="a", stock={"apple": 3}).save()
        loaded = LogDocument.get_by_key({"user": "u1", "at": "a"})
        assert loaded is not None
        assert loaded.stock == {"apple": 3}
        assert type(loaded.stock["apple"]) is int


class TestToItem:
    def test_map_values_are_dumped_as_stored_values(self) -> None:
        shelf = ShelfDocument(id="1", colors={"main": Color.BLUE})
        assert shelf.to_item()["colors"] == {"main": "blue"}

    def test_set_elements_are_kept(self) -> None:
        shelf = ShelfDocument(id="1", labels={"new", "sale"})
        assert shelf.to_item()["labels"] == {"new", "sale"}

    def test_a_document_survives_to_item_and_from_item(self) -> None:
        shelf = ShelfDocument(
            id="1",
            colors={"main": Color.BLUE, "trim": Color.RED},
            labels={"new"},
            legacy_tags=["a"],
            place=Place("Recife", "50000"),
        )
        assert ShelfDocument.from_item(shelf.to_item()) == shelf


class TestFromItem:
    def test_a_validation_error_names_the_table(self) -> None:
        with pytest.raises(ValidationError) as raised:
            ShelfDocument.from_item({"id": "1", "count": "many"})
        assert str(raised.value).startswith("shelf: ")

    def test_a_field_that_is_not_an_init_argument_is_skipped(self) -> None:
        loaded = InitFirstDocument.from_item({"id": "1", "kind": "other", "name": "Ana"})
        assert loaded == InitFirstDocument(id="1", name="Ana")
        assert loaded.kind == "init-first"

    def test_dict_values_are_converted_to_the_value_type(self) -> None:
        loaded = ShelfDocument.from_item({"id": "1", "colors": {"main": "blue"}})
        assert loaded.colors == {"main": Color.BLUE}

    def test_a_dict_field_holding_a_string_names_the_types(self) -> None:
        with pytest.raises(ValidationError, match="colors must be dict, got str"):
            ShelfDocument.from_item({"id": "1", "colors": "blue"})

    def test_a_bare_typing_list_takes_any_elements(self) -> None:
        loaded = ShelfDocument.from_item({"id": "1", "legacy_tags": ["a", Decimal(1)]})
        assert loaded.legacy_tags == ["a", Decimal(1)]

    def test_a_float_for_a_decimal_field_keeps_its_written_digits(self) -> None:
        """An item parsed from JSON holds floats; 0.1 must not become 0.1000000000000000055."""
        loaded = ShelfDocument.from_item({"id": "1", "price": 0.1})
        assert loaded.price == Decimal("0.1")

    def test_an_integral_float_fits_an_int_field(self) -> None:
        loaded = ShelfDocument.from_item({"id": "1", "count": 3.0})
        assert loaded.count == 3
        assert type(loaded.count) is int

    def test_none_fits_an_optional_field_whose_default_is_not_none(self) -> None:
        loaded = ShelfDocument.from_item({"id": "1", "nickname": None})
        assert loaded.nickname is None

    def test_a_union_keeps_a_value_already_of_one_of_its_types(self) -> None:
        """``float | int`` holding the int 3 (a JSON item) keeps it an int."""
        loaded = ShelfDocument.from_item({"id": "1", "amount": 3})
        assert type(loaded.amount) is int

    def test_a_union_error_names_every_option(self) -> None:
        with pytest.raises(ValidationError, match=r"sizes must be list\[int\] \| int, got str"):
            ShelfDocument.from_item({"id": "1", "sizes": "large"})

    def test_a_nested_dataclass_field_missing_from_the_stored_map_takes_its_default(
        self,
    ) -> None:
        loaded = ShelfDocument.from_item({"id": "1", "place": {"city": "Recife"}})
        assert loaded.place == Place("Recife")
