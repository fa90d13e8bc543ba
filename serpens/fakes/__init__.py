"""In-memory fakes: full implementations of every port for fast unit tests.

Each fake keeps state per instance, takes an injectable clock where time matters,
and raises the same serpens errors as the production adapters. ``fake.outage()``
simulates an unreachable backend (see ``docs/testing.md``).
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from serpens.fakes._outbox import InMemoryOutbox, InMemoryOutboxStore

__all__ = [
    "AsyncInMemoryCache",
    "AsyncInMemoryQueue",
    "AsyncInMemoryRepository",
    "InMemoryCache",
    "InMemoryDatabase",
    "InMemoryDocumentStore",
    "InMemoryHttpClient",
    "InMemoryIdempotencyStore",
    "InMemoryOutbox",
    "InMemoryOutboxStore",
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


def __getattr__(name: str) -> Any:
    """Import the outbox fakes on first access: their table needs SQLAlchemy."""
    if name in {"InMemoryOutbox", "InMemoryOutboxStore"}:
        from serpens.fakes import _outbox  # noqa: PLC0415

        value = getattr(_outbox, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
