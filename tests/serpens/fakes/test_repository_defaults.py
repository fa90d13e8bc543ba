"""The fake repository's column defaults: what it emulates, and what it refuses up front.

The repository contract checks the defaults every backend shares (an identity key,
``now()``, literals) on every cell; these are the fake's own decisions: a ``Sequence``
numbers rows like the autoincrement counter, Python-side callables are called, and a
server expression it cannot evaluate is a ``ConfigurationError`` when the repository is
built, never a silently different value.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import ConfigurationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository


class _Base(DeclarativeBase):
    pass


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


def _next_code() -> str:
    return "generated"


class Ticket(_Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(sa.Integer, sa.Sequence("ticket_ids"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), default=_next_code)
    made_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=sa.func.now())
    mood: Mapped[Mood] = mapped_column(sa.Enum(Mood), server_default="BUSY")
    closed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.text("FALSE"))
    weight: Mapped[float] = mapped_column(sa.Float, server_default="2.5")


_FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


class _Tag(sa.types.TypeDecorator[str]):
    """A user's type over ``String``: a literal default reads back as its ``impl``'s type."""

    impl = sa.String(10)
    cache_ok = True


def _model(column: Any) -> type[Any]:
    """A fresh mapped class with one extra column *column*."""

    class Base(DeclarativeBase):
        pass

    return type(
        "Odd",
        (Base,),
        {"__tablename__": "odd", "id": sa.Column(sa.Integer, primary_key=True), "x": column},
    )


class TestInMemoryRepositoryDefaults:
    """Defaults the fake emulates, read back as the column's Python type."""

    def test_sequence_callable_now_and_literal_defaults(self) -> None:
        fixed = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        repo = InMemoryRepository(Ticket, database=InMemoryDatabase(clock=lambda: fixed))
        first = repo.add(Ticket())
        second = repo.add(Ticket(code="given"))
        assert (first.id, second.id) == (1, 2)
        assert (first.code, second.code) == ("generated", "given")
        assert first.made_at == fixed
        assert (first.mood, first.closed, first.weight) == (Mood.BUSY, False, 2.5)
        assert type(first.weight) is float

    @pytest.mark.parametrize(
        "column",
        [
            pytest.param(sa.Column(sa.String(10), server_default=sa.text("upper('x')")), id="expr"),
            pytest.param(sa.Column(sa.Integer, server_default="many"), id="not-an-int"),
            pytest.param(sa.Column(sa.Boolean, server_default="maybe"), id="not-a-bool"),
            pytest.param(sa.Column(sa.Numeric, server_default=sa.text("'x'")), id="not-a-number"),
            pytest.param(sa.Column(sa.Enum(Mood), server_default="ANGRY"), id="not-a-member"),
            pytest.param(sa.Column(sa.Date, server_default="2026-01-02"), id="a-date"),
            pytest.param(sa.Column(sa.String(10), server_default=sa.text("'x")), id="one-quote"),
            pytest.param(sa.Column(sa.Integer, sa.Computed("id + 1")), id="computed"),
            pytest.param(sa.Column(sa.Integer, server_default=sa.FetchedValue()), id="fetched"),
            # PostgreSQL writes the sequence's next value, SQLite NULL: no value to copy
            pytest.param(sa.Column(sa.Integer, sa.Sequence("odd_x")), id="sequence"),
            pytest.param(sa.Column(sa.Integer, onupdate=sa.Sequence("odd_x")), id="on-update"),
            pytest.param(sa.Column(sa.Integer, sa.Identity()), id="identity"),
        ],
    )
    def test_a_default_it_cannot_emulate_fails_at_construction(self, column: Any) -> None:
        with pytest.raises(ConfigurationError, match=r"Odd\.x"):
            InMemoryRepository(_model(column))

    @pytest.mark.parametrize(
        ("column", "expected"),
        [
            pytest.param(sa.Column(sa.String(10), server_default=sa.text("''")), "", id="empty"),
            pytest.param(sa.Column(_Tag(), server_default="new"), "new", id="type-decorator"),
            pytest.param(  # text()'s escaped colon: the DDL writes 'a:b', PostgreSQL stores a:b
                sa.Column(sa.String(10), server_default=sa.text(r"'a\:b'")), "a:b", id="colon"
            ),
            pytest.param(
                sa.Column(
                    sa.DateTime(timezone=True),
                    server_default=sa.func.current_timestamp(sa.literal_column("6")),
                ),
                _FIXED,
                id="now-with-precision",
            ),
        ],
    )
    def test_a_server_default_reads_back_as_the_server_stores_it(
        self, column: Any, expected: object
    ) -> None:
        model = _model(column)
        repo: Any = InMemoryRepository(model, database=InMemoryDatabase(clock=lambda: _FIXED))
        assert repo.add(model()).x == expected

    def test_an_upsert_stores_an_explicit_none_not_the_default(self) -> None:
        model = _model(sa.Column(sa.String(10), default="dflt"))
        repo: Any = InMemoryRepository(model, database=InMemoryDatabase())
        assert repo.upsert({"id": 1, "x": None}, conflict_on=["id"]).x is None
