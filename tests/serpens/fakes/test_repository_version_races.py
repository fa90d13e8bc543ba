"""Two units of work that both flushed an update of one versioned row, beside PostgreSQL.

On PostgreSQL the unit that flushed first holds the row lock: the other one's versioned
``UPDATE`` waits for it, then finds a new version once it committed (``StaleDataError``,
a ``ConflictError``), so the first to flush wins. The fake has no row lock: the second
unit's flush goes through, it may commit first, and the first unit's commit is then the
stale one. The same steps run on threads on the fake and on PostgreSQL; the outcomes and
the row stored must be the same.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from serpens.errors import ConflictError
from serpens_contract._repository_databases import (
    FakeDatabase,
    RepositoryDatabase,
    SQLAlchemyDatabase,
)
from serpens_contract._repository_models import ContractBase
from serpens_contract._repository_models_versions import Ticket

WAIT_S = 0.5  # the second unit's time to finish its write before the first one commits


@pytest.fixture(name="engine")
def _engine(postgres_url: str) -> Iterator[sa.Engine]:
    """A psycopg2 engine whose tables are the contract's, in a schema of their own."""
    admin = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    schema = f"races_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        ContractBase.metadata.create_all(
            conn.execution_options(schema_translate_map={None: schema})
        )
    yield admin.execution_options(schema_translate_map={None: schema})
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _race(db: RepositoryDatabase) -> tuple[list[str], tuple[str, str | None]]:
    """Which unit's commit succeeded ("first" flushed first), and the row stored after."""
    setup: Any = db.repository(Ticket)
    row_id = setup.add(Ticket(code="a", name="n")).id
    db.commit(setup)
    db.close_unit_of_work(setup)
    first: Any = db.repository(Ticket)
    other: Any = db.repository(Ticket)
    theirs = other.get_or_raise(row_id)
    first.get_or_raise(row_id).name = "first"
    first.flush()
    won: list[str] = []

    def write_other() -> None:
        try:
            theirs.code = "b"
            other.flush()  # waits for the first unit's row lock on PostgreSQL
            db.commit(other)
            won.append("other")
        except ConflictError:
            pass

    thread = threading.Thread(target=write_other)
    thread.start()
    thread.join(WAIT_S)
    try:
        db.commit(first)
        won.append("first")
    except ConflictError:
        pass
    finally:
        thread.join()
        db.close_unit_of_work(first)
        db.close_unit_of_work(other)
    stored = db.repository(Ticket).get_or_raise(row_id)
    return sorted(won), (stored.code, stored.name)


@pytest.mark.xfail(
    strict=True,
    reason="the fake has no row lock: the unit that flushed second commits first, and "
    "the first one's commit is the stale one",
)
def test_of_two_units_that_flushed_one_versioned_row_the_first_to_flush_wins(
    engine: sa.Engine,
) -> None:
    """The unit that flushed first commits; the other one's write is stale (PostgreSQL).

    ``Ticket`` versions come from a generator, so every committed update makes a new one:
    only one of the two updates can be stored, and PostgreSQL's row lock decides which.
    """
    real_db = SQLAlchemyDatabase(engine)
    try:
        real = _race(real_db)
    finally:
        real_db.close()
    assert real == (["first"], ("a", "first"))
    assert _race(FakeDatabase()) == real
