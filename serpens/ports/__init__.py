"""Ports: the protocols every serpens fake and adapter implements.

Each protocol's docstrings pin the semantics that all implementations share; the
suites in ``serpens_contract`` check them against every fake and adapter. Importing
this package needs no SDK.
"""

from serpens.ports._cache import AsyncCache, Cache, JSONValue
from serpens.ports._document import DocumentStore, Item, KeyValue
from serpens.ports._http import HttpClient, HttpResponse
from serpens.ports._idempotency import Claim, IdempotencyStore, Replay
from serpens.ports._outbox import Outbox, OutboxMessage, OutboxStore
from serpens.ports._parameters import ParameterStore, SecretStore
from serpens.ports._publisher import Payload, Publisher
from serpens.ports._queue import AsyncQueue, Message, Queue
from serpens.ports._rate_limit import RateLimit
from serpens.ports._repository import AsyncRepository, CursorPage, OrderBy, Page, Repository

__all__ = [
    "AsyncCache",
    "AsyncQueue",
    "AsyncRepository",
    "Cache",
    "Claim",
    "CursorPage",
    "DocumentStore",
    "HttpClient",
    "HttpResponse",
    "IdempotencyStore",
    "Item",
    "JSONValue",
    "KeyValue",
    "Message",
    "OrderBy",
    "Outbox",
    "OutboxMessage",
    "OutboxStore",
    "Page",
    "ParameterStore",
    "Payload",
    "Publisher",
    "Queue",
    "RateLimit",
    "Replay",
    "Repository",
    "SecretStore",
]
