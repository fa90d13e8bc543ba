"""The document store a test runs on: the in-memory fake or DynamoDB on moto's server."""

from __future__ import annotations

import pytest

from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore

__all__ = ["STORES", "store_for"]

STORES = ["fake", "dynamodb"]
"""A store fixture's ``params``."""


def store_for(request: pytest.FixtureRequest) -> InMemoryDocumentStore | DynamoDBDocumentStore:
    """A new store of the kind ``request.param`` names (DynamoDB: moto's server)."""
    if request.param == "fake":
        return InMemoryDocumentStore()
    request.getfixturevalue("moto_endpoint")
    return DynamoDBDocumentStore()
