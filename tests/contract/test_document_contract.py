"""The DocumentStore contract, run against the fake and DynamoDB on moto's server."""

from collections.abc import Callable

import pytest

from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore
from serpens_contract import DocumentStoreContract


class TestInMemoryDocumentStore(DocumentStoreContract):
    @pytest.fixture
    def open_document_store(self) -> Callable[[str], InMemoryDocumentStore]:
        return lambda namespace: InMemoryDocumentStore()


class TestDynamoDBDocumentStore(DocumentStoreContract):
    @pytest.fixture
    def open_document_store(self, moto_endpoint: str) -> Callable[[str], DynamoDBDocumentStore]:
        store = DynamoDBDocumentStore()  # one client for the whole test; tables are namespaced
        return lambda namespace: store
