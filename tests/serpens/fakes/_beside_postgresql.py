"""Run one repository step on the fake and on PostgreSQL itself, for tests comparing them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_sqlalchemy import SQLAlchemyRepository

Step = Callable[[Any], object]


def engine_for(base: type[DeclarativeBase], postgres_url: str) -> Iterator[sa.Engine]:
    """A psycopg2 engine on *postgres_url* with *base*'s tables, dropped afterwards."""
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    base.metadata.drop_all(engine)
    base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        base.metadata.drop_all(engine)
        engine.dispose()


def _outcome(step: Step, repo: Any, unit: Any) -> object:
    """*step*'s result on *repo*, *unit* committed; or the serpens error's type, rolled back."""
    try:
        result = step(repo)
        unit.commit()
    except (ConflictError, ValidationError) as exc:
        unit.rollback()
        return type(exc)
    return result


def on_both(
    database: InMemoryDatabase, engine: sa.Engine, model: type[Any], step: Step
) -> list[object]:
    """Run *step* in a new unit of work on the fake, then on PostgreSQL; commit each.

    Each side's outcome is its result, or the type of the serpens error it raised (and
    that unit of work is rolled back).
    """
    fake: Any = InMemoryRepository(model, database=database)
    with Session(engine) as session:
        return [
            _outcome(step, fake, fake),
            _outcome(step, SQLAlchemyRepository(session, model), session),
        ]


def assert_alike(engine: sa.Engine, model: type[Any], steps: list[Step]) -> list[list[object]]:
    """Run *steps* in turn on a new fake database and on PostgreSQL; both answer alike."""
    database = InMemoryDatabase()
    outcomes = [on_both(database, engine, model, step) for step in steps]
    assert [fake for fake, _ in outcomes] == [real for _, real in outcomes], outcomes
    return outcomes


def on_fake(model: type[Any], steps: list[Step]) -> list[object]:
    """Run *steps* as :func:`assert_alike` runs them, on the fake alone; return the outcomes.

    The in-memory twin of a test beside PostgreSQL, which the mutation run (no server) can
    run: each step in a new unit of work, committed, or rolled back on a serpens error.
    """
    database = InMemoryDatabase()
    outcomes: list[object] = []
    for step in steps:
        repo: Any = InMemoryRepository(model, database=database)
        outcomes.append(_outcome(step, repo, repo))
    return outcomes


__all__ = ["Step", "assert_alike", "engine_for", "on_both", "on_fake"]
