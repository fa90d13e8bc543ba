"""``DocumentStoreContract``: the suite every :class:`~serpens.ports.DocumentStore` must pass.

The suite holds the fixtures (``open_document_store``, overridden by an implementation,
and ``tables``) and joins the case mixins, one per theme.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest

from serpens.ports import DocumentStore
from serpens_contract._suite import ContractSuite
from serpens_contract.document._basics import _DocumentBasicCases
from serpens_contract.document._differential import _DocumentDifferentialCases
from serpens_contract.document._limits import _DocumentLimitCases
from serpens_contract.document._store import DocumentStoreCapabilities, StoreFactory
from serpens_contract.document._tables_and_keys import _DocumentTableAndKeyCases
from serpens_contract.document._threads import _DocumentThreadCases
from serpens_contract.document._value_types import _DocumentValueTypeCases
from serpens_contract.outage import DocumentOutageCases


# pytest collects a class's bases last-first: listed so that the tests run in the order
# basics, value types, limits, tables and keys, differential, threads.
class DocumentStoreContract(
    _DocumentThreadCases,
    _DocumentDifferentialCases,
    _DocumentTableAndKeyCases,
    _DocumentLimitCases,
    _DocumentValueTypeCases,
    _DocumentBasicCases,
    DocumentOutageCases,
    ContractSuite,
):
    """Every DocumentStore must pass these tests.

    Override ``open_document_store`` to return a callable ``namespace -> store``; each
    call must give a store in which tables named after the namespace can be created.
    """

    contract = "document"
    capabilities: ClassVar[DocumentStoreCapabilities] = DocumentStoreCapabilities()

    @pytest.fixture
    def open_document_store(self) -> StoreFactory:
        pytest.fail("override `open_document_store`: return a callable namespace -> store")

    @pytest.fixture
    def tables(self, open_document_store: StoreFactory) -> tuple[DocumentStore, str, str]:
        namespace = f"c{uuid.uuid4().hex[:12]}"
        store = open_document_store(namespace)
        store.create_table(f"{namespace}-people", "id")
        store.create_table(f"{namespace}-events", "user", "at")
        return store, f"{namespace}-people", f"{namespace}-events"
