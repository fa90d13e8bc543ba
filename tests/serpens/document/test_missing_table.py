"""A missing table through ``BaseDocument``: caught as serpens 2.9 code catches it.

serpens 2.9's ``BaseDocument`` called boto3's DynamoDB ``Table`` directly, so a missing
table was botocore's ``ClientError`` with code ``ResourceNotFoundException``, and 2.9
code catches it with ``except ClientError``. It is now a
``serpens_aws.TableNotFoundError``: a ``NotFoundError`` that is also that ``ClientError``,
from DynamoDB and from the in-memory store alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from serpens import document
from serpens.document import BaseDocument
from serpens.errors import NotFoundError
from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore, TableNotFoundError


@dataclass
class GhostDocument(BaseDocument):
    _table_name_ = "serpens-no-such-table"
    id: str


@pytest.fixture(params=["fake", "dynamodb"])
def no_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.param == "dynamodb":
        request.getfixturevalue("moto_endpoint")
    GhostDocument._table_name_ = f"t{uuid.uuid4().hex[:12]}-missing"
    fake = request.param == "fake"
    with document.use_store(InMemoryDocumentStore() if fake else DynamoDBDocumentStore()):
        yield


CALLS: dict[str, Callable[[], object]] = {
    "save": lambda: GhostDocument(id="1").save(),
    "get_by_key": lambda: GhostDocument.get_by_key({"id": "1"}),
    "delete": lambda: GhostDocument(id="1").delete(),
    "query": lambda: GhostDocument.query("1"),
}


@pytest.mark.usefixtures("no_tables")
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_missing_table_is_the_client_error_serpens_29_raised(
    call: Callable[[], object],
) -> None:
    with pytest.raises(ClientError) as raised:  # serpens 2.9 code
        call()
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert isinstance(raised.value, NotFoundError)  # and serpens code
    assert isinstance(raised.value, TableNotFoundError)
    assert str(raised.value) == f"table {GhostDocument._table_name_!r} does not exist"
