"""BaseDocument against the in-memory store and DynamoDB on moto's server."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from serpens import document
from serpens.document import BaseDocument
from serpens.errors import ConfigurationError, ConflictError, ValidationError
from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore
from tests.serpens.document._stores import STORES, store_for

TABLES = {"person": ("id", None), "event": ("user", "at")}


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Address:
    city: str
    number: int


@dataclass
class PersonDocument(BaseDocument):
    _table_name_ = "person"
    id: str
    name: str
    age: int = 0
    height: float = 0.0
    balance: Decimal = Decimal(0)
    color: Color = Color.RED
    born: date | None = None
    seen_at: datetime | None = None
    token: uuid.UUID | None = None
    scores: list[float] = field(default_factory=list)
    address: Address | None = None


@dataclass
class EventDocument(BaseDocument):
    _table_name_ = "event"
    _key_ = ("user", "at")
    user: str
    at: str
    amount: float


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    store = store_for(request)
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    for name, (partition, sort) in TABLES.items():
        store.create_table(prefix + name, partition, sort)
    PersonDocument._table_name_ = prefix + "person"
    EventDocument._table_name_ = prefix + "event"
    with document.use_store(store):
        yield store


def test_a_saved_document_loads_back_equal_with_its_field_types(store: object) -> None:
    person = PersonDocument(
        id="1",
        name="Ana",
        age=30,
        height=1.62,
        balance=Decimal("10.50"),
        color=Color.BLUE,
        born=date(1990, 5, 17),
        seen_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        token=uuid.UUID(int=7),
        scores=[1.0, 2.5],
        address=Address("Recife", 12),
    )
    person.save()
    loaded = PersonDocument.get_by_key({"id": "1"})
    assert loaded == person
    assert loaded is not None
    assert type(loaded.age) is int
    assert type(loaded.height) is float
    assert type(loaded.scores[0]) is float


def test_a_missing_key_loads_as_none(store: object) -> None:
    assert PersonDocument.get_by_key({"id": "nobody"}) is None


def test_save_if_absent_keeps_the_existing_document(store: object) -> None:
    PersonDocument(id="1", name="Ana").save(if_absent=True)
    with pytest.raises(ConflictError):
        PersonDocument(id="1", name="Bia").save(if_absent=True)
    assert PersonDocument.get_by_key({"id": "1"}) == PersonDocument(id="1", name="Ana")


def test_delete_and_query_use_the_declared_key(store: object) -> None:
    for at, amount in [("2024-02", 2.5), ("2024-01", 1.0), ("2023-12", 3.0)]:
        EventDocument(user="u1", at=at, amount=amount).save()
    events = EventDocument.query("u1", sort_prefix="2024")
    assert [(e.at, e.amount) for e in events] == [("2024-01", 1.0), ("2024-02", 2.5)]
    assert events[0].delete() is True
    assert events[0].delete() is False
    assert [e.at for e in EventDocument.query("u1", descending=True)] == ["2024-02", "2023-12"]


def test_a_stored_item_missing_a_required_field_is_a_validation_error(store: object) -> None:
    document.get_store().put(PersonDocument._table_name_, {"id": "1"})
    with pytest.raises(ValidationError, match="'name'"):
        PersonDocument.get_by_key({"id": "1"})


def test_extra_stored_attributes_are_ignored(store: object) -> None:
    document.get_store().put(PersonDocument._table_name_, {"id": "1", "name": "Ana", "x": 1})
    assert PersonDocument.get_by_key({"id": "1"}) == PersonDocument(id="1", name="Ana")


def test_get_table_is_the_boto3_table(moto_endpoint: str) -> None:
    name = f"people-{uuid.uuid4().hex[:8]}"  # the env tier's moto may hold earlier runs' tables
    DynamoDBDocumentStore().create_table(name, "id")

    @dataclass
    class People(BaseDocument):
        _table_name_ = name
        id: str

    with document.use_store(DynamoDBDocumentStore()):
        People(id="7").save()
    table = People.get_table()
    assert table.name == name
    assert table.get_item(Key={"id": "7"})["Item"] == {"id": "7"}


def test_a_document_without_a_table_name_is_a_configuration_error() -> None:
    @dataclass
    class Nameless(BaseDocument):
        id: str

    with document.use_store(InMemoryDocumentStore()), pytest.raises(ConfigurationError):
        Nameless(id="1").save()


def test_a_document_that_is_not_a_dataclass_is_a_configuration_error() -> None:
    class Plain(BaseDocument):
        _table_name_ = "plain"

    with document.use_store(InMemoryDocumentStore()), pytest.raises(ConfigurationError):
        Plain.get_by_key({"id": "1"})


def test_use_store_restores_the_previous_store() -> None:
    first, second = InMemoryDocumentStore(), InMemoryDocumentStore()
    document.set_store(first)
    try:
        with document.use_store(second):
            assert document.get_store() is second
        assert document.get_store() is first
    finally:
        document.set_store(None)


class TestStoredValuesOfTheWrongType:
    """Items another writer stored: a value that does not fit its field is refused."""

    @pytest.fixture(name="raw_put")
    def _raw_put(self, moto_endpoint: str) -> Iterator[Callable[[dict[str, Any]], None]]:
        """Store items with a plain boto3 client, as a service not using serpens would."""
        client = boto3.client("dynamodb", endpoint_url=moto_endpoint)
        store = DynamoDBDocumentStore(client)
        PersonDocument._table_name_ = f"t{uuid.uuid4().hex[:10]}-person"
        store.create_table(PersonDocument._table_name_, "id")

        def put(attributes: dict[str, Any]) -> None:
            item = {"id": {"S": "1"}, "name": {"S": "Ana"}, **attributes}
            client.put_item(TableName=PersonDocument._table_name_, Item=item)

        with document.use_store(store):
            yield put

    @pytest.mark.parametrize(
        ("attributes", "field", "message"),
        [
            pytest.param(
                {"name": {"N": "5"}}, "name", "name must be str, got int", id="number-as-str"
            ),
            pytest.param(
                {"age": {"S": "notint"}}, "age", "age must be int, got str", id="str-as-int"
            ),
            pytest.param(
                {"age": {"N": "1.5"}}, "age", "age must be int, got Decimal", id="fraction-as-int"
            ),
            pytest.param(
                {"age": {"BOOL": True}}, "age", "age must be int, got bool", id="bool-as-int"
            ),
            pytest.param(
                {"height": {"S": "1.5"}},
                "height",
                "height must be float, got str",
                id="str-as-float",
            ),
            pytest.param(
                {"balance": {"S": "9"}},
                "balance",
                "balance must be Decimal, got str",
                id="str-as-decimal",
            ),
            pytest.param(
                {"name": {"NULL": True}}, "name", "name must be str, got NoneType", id="null-as-str"
            ),
            pytest.param(
                {"scores": {"L": [{"N": "1"}, {"S": "2"}]}},
                "scores",
                "scores[1] must be float, got str",
                id="list-element",
            ),
            pytest.param(
                {"scores": {"S": "1,2"}}, "scores", "scores must be list, got str", id="str-as-list"
            ),
            pytest.param(
                {"address": {"M": {"city": {"S": "Recife"}, "number": {"N": "12.5"}}}},
                "address",
                "address.number must be int, got Decimal",
                id="nested-field",
            ),
            pytest.param(
                {"address": {"S": "Recife"}},
                "address",
                "address must be Address, got str",
                id="str-as-dataclass",
            ),
            pytest.param(
                {"born": {"N": "19900517"}},
                "born",
                "born must be date, got int",
                id="number-as-date",
            ),
        ],
    )
    def test_a_value_that_does_not_fit_its_field_is_a_validation_error(
        self,
        raw_put: Callable[[dict[str, Any]], None],
        attributes: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        """The message names the field and the types, never the stored value."""
        raw_put(attributes)
        with pytest.raises(ValidationError, match=f"stored '{field}' does not fit") as caught:
            PersonDocument.get_by_key({"id": "1"})
        assert str(caught.value).endswith(f"does not fit PersonDocument: {message}")

    def test_numbers_convert_to_the_declared_number_types(
        self, raw_put: Callable[[dict[str, Any]], None]
    ) -> None:
        """DynamoDB returns every number as Decimal: integral for int, any for float."""
        raw_put(
            {
                "age": {"N": "30"},
                "height": {"N": "1.62"},
                "balance": {"N": "2"},
                "scores": {"L": [{"N": "1"}, {"N": "2.5"}]},
                "address": {"M": {"city": {"S": "Recife"}, "number": {"N": "12.0"}}},
                "born": {"NULL": True},
            }
        )
        loaded = PersonDocument.get_by_key({"id": "1"})
        assert loaded == PersonDocument(
            id="1",
            name="Ana",
            age=30,
            height=1.62,
            balance=Decimal(2),
            scores=[1.0, 2.5],
            address=Address("Recife", 12),
        )
        assert loaded is not None
        assert [type(v) for v in (loaded.age, loaded.height, loaded.balance)] == [
            int,
            float,
            Decimal,
        ]
        assert type(loaded.address.number) is int  # type: ignore[union-attr]


class TestFromItem:
    def test_a_union_keeps_a_value_of_one_of_its_types(self) -> None:
        @dataclass
        class Tagged(BaseDocument):
            _table_name_ = "tagged"
            id: str
            ref: int | str = 0
            weight: float | str = 0.0
            note: str = None  # type: ignore[assignment] # 2.9.0 services declare this

        tagged = Tagged.from_item({"id": "1", "ref": "x", "weight": Decimal("1.5"), "note": None})
        assert tagged == Tagged(id="1", ref="x", weight=1.5, note=None)  # type: ignore[arg-type]
        assert Tagged.from_item({"id": "1", "ref": Decimal(7)}).ref == 7
        with pytest.raises(ValidationError, match=r"ref must be int \| str, got bytes"):
            Tagged.from_item({"id": "1", "ref": b"x"})


@dataclass
class DueDocument(BaseDocument):
    _table_name_ = "due"
    id: str
    due: date | str = ""


def test_a_union_taking_str_keeps_a_stored_string_as_the_str() -> None:
    """The module's one exception to "loaded equals saved": a value already an option stays."""
    saved = DueDocument(id="1", due=date(2024, 5, 17))
    assert DueDocument.from_item(saved.to_item()).due == "2024-05-17"
    assert DueDocument.from_item(DueDocument(id="2", due="soon").to_item()).due == "soon"
