from dataclasses import dataclass

from serpens import document
from serpens.document import BaseDocument
from serpens.fakes import InMemoryDocumentStore


@dataclass
class PersonDocument(BaseDocument):
    _table_name_ = "person"
    id: str
    name: str
    height: float = 0.0


# Unit tests use the in-memory store; production code leaves the default (DynamoDB).
store = InMemoryDocumentStore()
store.create_table("person", partition_key="id")
with document.use_store(store):
    PersonDocument(id="1", name="Ana", height=1.62).save()
    ana = PersonDocument.get_by_key({"id": "1"})
    assert ana == PersonDocument(id="1", name="Ana", height=1.62)
    assert isinstance(ana.height, float)  # not the Decimal DynamoDB returns
    assert ana.delete() is True
    assert PersonDocument.get_by_key({"id": "1"}) is None
