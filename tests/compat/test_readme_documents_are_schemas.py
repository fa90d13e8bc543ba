"""``serpens.document`` as services written for serpens 2.9.0 call it (README "DynamoDB").

In 2.9.0 ``BaseDocument`` was a ``Schema``: a document is built from a request body with
``PersonDocument.load(body)``, turned back into JSON with ``dump``/``dumps``, and
constructing one with a wrong type raised ``TypeError``. Run against moto's DynamoDB.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from serpens.document import BaseDocument
from serpens.schema import Schema


@pytest.fixture(name="person_document")
def _person_document(moto_endpoint: str) -> type[Any]:
    table = f"compat-docs-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb", endpoint_url=moto_endpoint).create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    @dataclass
    class PersonDocument(BaseDocument):
        _table_name_ = table
        id: str
        name: str
        age: int = 0
        nickname: str = None  # type: ignore[assignment] # 2.9.0 services declare this

    return PersonDocument


def test_a_document_is_a_schema(person_document: type[Any]) -> None:
    assert issubclass(person_document, Schema)


def test_a_document_loaded_from_a_request_body_saves_and_reads_back(
    person_document: type[Any],
) -> None:
    body = json.loads('{"id": "1", "name": "Ana", "age": 30, "unknown": true}')
    person_document.load(body).save()
    person_document.loads('{"id": "2", "name": "Bia"}').save()
    assert person_document.get_by_key({"id": "1"}) == person_document("1", "Ana", 30)
    assert person_document.get_by_key({"id": "2"}) == person_document("2", "Bia")


def test_a_stored_document_dumps_as_2_9_did(person_document: type[Any]) -> None:
    person_document(id="1", name="Ana", age=30).save()
    stored = person_document.get_by_key({"id": "1"})
    expected = {"id": "1", "name": "Ana", "age": 30, "nickname": None}
    assert stored.dump() == expected
    assert json.loads(stored.dumps()) == expected
    assert person_document.dump([stored], many=True) == [expected]


def test_constructing_a_document_with_a_wrong_type_raises_type_error(
    person_document: type[Any],
) -> None:
    with pytest.raises(TypeError) as caught:
        person_document(id=1, name="Ana")
    assert caught.value.args == ("'id' must be of type str",)
    with pytest.raises(TypeError) as missing:
        person_document.load({"name": "Ana"})
    assert missing.value.args == ("'id' is a required field",)
