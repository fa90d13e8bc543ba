"""Contract suite of the DocumentStore port (``serpens.ports.DocumentStore``)."""

# The suite, split by theme into private modules of at most 400 lines: _store (the
# TableCreatingStore protocol, DocumentStoreCapabilities and its capability name), the
# case mixins _basics, _value_types, _limits, _tables_and_keys and _differential (with
# the suite's reference model), joined in _contract (DocumentStoreContract). Everything
# the single module exported is importable from here.

from serpens_contract.document._contract import DocumentStoreContract
from serpens_contract.document._store import (
    DocumentStoreCapabilities,
    TableCreatingStore,
)
from serpens_contract.document._store import StoreFactory as StoreFactory

__all__ = ["DocumentStoreCapabilities", "DocumentStoreContract", "TableCreatingStore"]
