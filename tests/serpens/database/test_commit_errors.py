"""A failed commit of ``db_session()`` is both the serpens error and SQLAlchemy's, on PostgreSQL.

serpens 2.9 let ``StaleDataError``/``IntegrityError`` through, and the spec's optimistic-
locking recipe catches ``StaleDataError`` around ``with db_session()``; serpens code catches
``ConflictError``. Both must catch the same error, whose message stays serpens' (masked).
"""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from sqlalchemy import Integer, Numeric, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from serpens import database
from serpens.api._response import _classify
from serpens.database import async_db_session, db_session
from serpens.errors import ConflictError
from serpens.fastapi import error_response

pytestmark = pytest.mark.postgres


class Model(DeclarativeBase):
    pass


class Payment(Model):
    __tablename__ = "commit_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's spelling


@pytest.fixture(name="pg", params=["sync", "async"])
async def _pg(request: pytest.FixtureRequest, fresh_pg_url: str) -> str:
    """A database holding one payment (id 1, ref "a"), bound on the side under test."""
    Model.metadata.create_all(database.bind(fresh_pg_url))
    with db_session() as session:
        session.add(Payment(id=1, amount=Decimal(1), ref="a"))
    if request.param == "async":
        database.async_bind(fresh_pg_url)
    return str(request.param)


def _stale_update() -> None:
    """The spec's handler: load, change, commit, while another request updated the row."""
    with db_session() as session:
        payment = session.get(Payment, 1)
        assert payment is not None
        with db_session() as other:  # a concurrent request commits first
            other.get(Payment, 1).amount = Decimal(2)  # type: ignore[union-attr]
        payment.amount = Decimal(3)


async def _async_stale_update() -> None:
    async with async_db_session() as session:
        payment = await session.get(Payment, 1)
        assert payment is not None
        async with async_db_session() as other:
            (await other.get(Payment, 1)).amount = Decimal(2)  # type: ignore[union-attr]
        payment.amount = Decimal(3)


def _duplicate() -> None:
    with db_session() as session:
        session.add(Payment(id=2, amount=Decimal(9), ref="a"))


async def _async_duplicate() -> None:
    async with async_db_session() as session:
        session.add(Payment(id=2, amount=Decimal(9), ref="a"))


async def _run(side: str, kind: str) -> None:
    """Run the *kind* failure (``"stale"`` or ``"unique"``) on *side*."""
    if side == "sync":
        (_stale_update if kind == "stale" else _duplicate)()
    else:
        await (_async_stale_update if kind == "stale" else _async_duplicate)()


async def _failure(side: str, kind: str) -> ConflictError:
    """Run the *kind* failure on *side* and return what it raised."""
    try:
        await _run(side, kind)
    except ConflictError as error:
        return error
    pytest.fail(f"the {kind} {side} commit raised nothing")


class TestCommitConflicts:
    async def test_a_stale_update_is_a_conflict_error_and_a_stale_data_error(self, pg: str) -> None:
        error = await _failure(pg, "stale")
        assert isinstance(error, StaleDataError)
        assert isinstance(error.__cause__, StaleDataError)
        assert str(error).startswith("stale version")
        with db_session() as session:  # the other request's update stands
            assert session.scalar(select(Payment.amount)) == Decimal(2)

    async def test_the_spec_recipe_catches_stale_data_error(self, pg: str) -> None:
        caught: list[str] = []
        try:
            await _run(pg, "stale")
        except StaleDataError:  # serpens 2.9 and the spec's optimistic-locking recipe
            caught.append("stale")
        assert caught == ["stale"]

    async def test_a_unique_violation_is_a_conflict_error_and_an_integrity_error(
        self, pg: str
    ) -> None:
        error = await _failure(pg, "unique")
        assert isinstance(error, IntegrityError)
        assert error.orig is error.__cause__.orig  # type: ignore[union-attr] # 2.9's e.orig
        assert "23505" in str(error)
        assert "INSERT" not in str(error)  # serpens' message: no SQL, no parameters
        with pytest.raises(IntegrityError):  # a 2.9 `except IntegrityError:` catches it
            await _run(pg, "unique")
        with db_session() as session:  # rolled back
            assert session.scalars(select(Payment.id)).all() == [1]

    async def test_web_handlers_still_answer_409(self, pg: str) -> None:
        error = await _failure(pg, "unique")
        assert error_response(error).status_code == 409
        assert _classify(error, None) == (409, {"message": "Conflict"})

    async def test_the_classes_are_cached_and_pickle_as_the_serpens_error(self, pg: str) -> None:
        first, second = await _failure(pg, "unique"), await _failure(pg, "unique")
        assert type(first) is type(second)
        assert type(first).__name__ == "ConflictError"
        copy = pickle.loads(pickle.dumps(first))
        assert (type(copy), str(copy)) == (ConflictError, str(first))
