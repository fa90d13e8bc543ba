"""BaseDocument against the in-memory store and DynamoDB on moto's server."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from serpens import document
from serpens.document import BaseDocument
from serpens.errors import ConfigurationError, ConflictError, ValidationError
from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore

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


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[object]:
    if request.param == "fake":
        store: InMemoryDocumentStore | DynamoDBDocumentStore = InMemoryDocumentStore()
    else:
        request.getfixturevalue("moto_endpoint")
        store = DynamoDBDocumentStore()
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
    DynamoDBDocumentStore().create_table("people-table", "id")

    @dataclass
    class People(BaseDocument):
        _table_name_ = "people-table"
        id: str

    with document.use_store(DynamoDBDocumentStore()):
        People(id="7").save()
    table = People.get_table()
    assert table.name == "people-table"
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
