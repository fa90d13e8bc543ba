"""What a document store provides and declares to the suite.

:class:`TableCreatingStore` (a store the suite can create its tables in), the factory
type of the ``open_document_store`` fixture, and :class:`DocumentStoreCapabilities` with
its capability name, registered on import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from serpens._rules.document import KeyType
from serpens.ports import DocumentStore
from serpens_contract.capabilities import register_capability


class TableCreatingStore(DocumentStore, Protocol):
    """A store the suite can create its tables in."""

    def create_table(
        self,
        table: str,
        partition_key: str,
        sort_key: str | None = None,
        *,
        partition_type: KeyType = str,
        sort_type: KeyType = str,
    ) -> None:
        """Create *table* with keys of the given types; called once per table and namespace."""
        ...


@dataclass(frozen=True)
class DocumentStoreCapabilities:
    """Honest differences between document stores.

    Attributes:
        exact_item_size: an item of exactly 409,600 bytes, counted as DynamoDB documents
            its item size, is accepted (DynamoDB and the fake; moto counts more and
            refuses it). An item one byte larger is refused everywhere.
        atomic_conditional_put: ``put(if_absent=True)`` checks and writes as one step, so
            of threads racing to create one item exactly one wins (DynamoDB and the fake;
            moto's threaded server checks and writes without a lock, and lets two win).
        queries_beside_writes: a query running beside puts and deletes of its partition
            on other threads never fails (DynamoDB and the fake; moto's threaded server
            walks a partition another request is changing and now and then answers 500,
            its own ``RuntimeError: dictionary changed size during iteration``).
    """

    exact_item_size: bool = True
    atomic_conditional_put: bool = True
    queries_beside_writes: bool = True


register_capability(
    "document",
    "exact_item_size",
    lambda c: c.exact_item_size,
    "an item of exactly 400 KB, counted as DynamoDB documents, is accepted",
)
register_capability(
    "document",
    "atomic_conditional_put",
    lambda c: c.atomic_conditional_put,
    "put(if_absent=True) checks and writes as one step: one of racing creators wins",
)
register_capability(
    "document",
    "queries_beside_writes",
    lambda c: c.queries_beside_writes,
    "a query beside puts and deletes of its partition on other threads never fails",
)


StoreFactory = Callable[[str], TableCreatingStore]
