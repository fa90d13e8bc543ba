"""The DocumentStore contract, run against the fake and DynamoDB on moto's server."""

from collections.abc import Callable

import boto3
import pytest

from serpens.fakes import InMemoryDocumentStore
from serpens.testing import FaultProxy
from serpens_aws import DynamoDBDocumentStore
from serpens_contract import DocumentStoreCapabilities, DocumentStoreContract
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    proxy_outage,
)
from tests.contract._moto_deadlines import MOTO_CONFIG, moto_outage

# every fault, a trickling server too: each call ends by its deadline, not by each read's
KINDS = ALL_KINDS | {"trickled"}


class TestInMemoryDocumentStore(DocumentStoreContract):
    outage_capabilities = OutageCapabilities(kinds=KINDS, deadline=0.0)

    @pytest.fixture
    def open_document_store(
        self, fake_outages: FakeOutages
    ) -> Callable[[str], InMemoryDocumentStore]:
        return lambda namespace: fake_outages.track(InMemoryDocumentStore())

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


class TestDynamoDBDocumentStore(DocumentStoreContract):
    # moto counts item sizes its own way (an item of exactly 400 KB is refused), and its
    # threaded server checks a conditional put, then writes, without a lock (DynamoDB is
    # atomic: one of racing creators wins), and walks a partition another request is
    # changing (now and then a 500: "dictionary changed size during iteration")
    capabilities = DocumentStoreCapabilities(
        exact_item_size=False, atomic_conditional_put=False, queries_beside_writes=False
    )
    # boto3 through a FaultProxy, with the deadlines of tests/contract/_moto_deadlines.py
    outage_capabilities = moto_outage(KINDS)

    @pytest.fixture
    def open_document_store(self, moto_proxy: FaultProxy) -> Callable[[str], DynamoDBDocumentStore]:
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://{moto_proxy.host}:{moto_proxy.port}",
            config=MOTO_CONFIG,
        )
        store = DynamoDBDocumentStore(client)  # one client for the whole test; tables namespaced
        return lambda namespace: store

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)
