"""In-memory fakes: full implementations of every port for fast unit tests.

Each fake keeps state per instance, takes an injectable clock where time matters,
and raises the same serpens errors as the production adapters. ``fake.outage()``
simulates an unreachable backend (see ``docs/testing.md``).
"""

from serpens.fakes._cache import AsyncInMemoryCache, InMemoryCache
from serpens.fakes._document import InMemoryDocumentStore
from serpens.fakes._http import InMemoryHttpClient
from serpens.fakes._http_types import InMemoryResponse, RecordedRequest
from serpens.fakes._idempotency import InMemoryIdempotencyStore
from serpens.fakes._parameters import InMemoryParameterStore, InMemorySecretStore
from serpens.fakes._publisher import InMemoryPublisher, PublishedMessage
from serpens.fakes._queue import AsyncInMemoryQueue, InMemoryQueue
from serpens.fakes._repository import (
    AsyncInMemoryRepository,
    InMemoryDatabase,
    InMemoryRepository,
    InMemorySession,
)

__all__ = [
    "AsyncInMemoryCache",
    "AsyncInMemoryQueue",
    "AsyncInMemoryRepository",
    "InMemoryCache",
    "InMemoryDatabase",
    "InMemoryDocumentStore",
    "InMemoryHttpClient",
    "InMemoryIdempotencyStore",
    "InMemoryParameterStore",
    "InMemoryPublisher",
    "InMemoryQueue",
    "InMemoryRepository",
    "InMemoryResponse",
    "InMemorySecretStore",
    "InMemorySession",
    "PublishedMessage",
    "RecordedRequest",
]
