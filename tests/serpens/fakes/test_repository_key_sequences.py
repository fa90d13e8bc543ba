"""Generated keys start and step where the column's ``Identity`` or ``Sequence`` says.

PostgreSQL's ``Identity(start=100, increment=10)`` gives 100, 110, 120; a
``Sequence("s", start=1000)`` gives 1000, 1001. The fake counted 1, 2, 3 for both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for


class _Base(DeclarativeBase):
    pass


class Ticket(_Base):
    __tablename__ = "fake_sequence_tickets"

    id: Mapped[int] = mapped_column(
        sa.Integer, sa.Identity(start=100, increment=10), primary_key=True
    )
    note: Mapped[str | None] = mapped_column(sa.String(10))


class Order(_Base):
    __tablename__ = "fake_sequence_orders"

    id: Mapped[int] = mapped_column(
        sa.Integer, sa.Sequence("fake_sequence_orders_seq", start=1000), primary_key=True
    )
    note: Mapped[str | None] = mapped_column(sa.String(10))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


class TestKeySequencesBesidePostgreSQL:
    @pytest.mark.parametrize(
        ("model", "keys"), [(Ticket, [100, 110, 120]), (Order, [1000, 1001, 1002])]
    )
    def test_keys_start_and_step_as_declared(
        self, engine: sa.Engine, model: type[Ticket | Order], keys: list[int]
    ) -> None:
        steps: list[Step] = [
            lambda r: r.add(model(note="a")).id,
            lambda r: [o.id for o in r.bulk_add([model(note="b"), model(note="c")])],
        ]
        outcomes = assert_alike(engine, model, steps)
        assert [outcomes[0][0], *outcomes[1][0]] == keys  # type: ignore[misc]


class TestInMemoryKeySequences:
    """The same without a server (in the mutation driver's selection)."""

    @pytest.mark.parametrize(
        ("model", "keys"), [(Ticket, [100, 110, 120]), (Order, [1000, 1001, 1002])]
    )
    def test_keys_start_and_step_as_declared(
        self, model: type[Ticket | Order], keys: list[int]
    ) -> None:
        repo = InMemoryRepository(model, database=InMemoryDatabase())
        assert [repo.add(model(note=str(i))).id for i in range(3)] == keys
