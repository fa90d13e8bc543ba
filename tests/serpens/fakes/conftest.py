"""Fixtures of the fakes' tests that run the same steps on a real ``Session`` beside the fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from serpens_contract._repository_models import ContractBase


@pytest.fixture(name="contract_engine")
def _contract_engine() -> Iterator[sa.Engine]:
    """An in-memory SQLite engine holding every contract model's table."""
    engine = sa.create_engine("sqlite://")
    ContractBase.metadata.create_all(engine)
    yield engine
    engine.dispose()
