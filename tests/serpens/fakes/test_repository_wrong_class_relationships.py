"""A relationship holding an object of another model than the one it maps.

A ``Session``'s flush refuses it (``AssertionError``: the attribute "doesn't handle
objects of type" the stray object's class) and stores nothing of the add. The same steps
run on the SQLAlchemy repositories sharing one ``Session`` on SQLite and on the fake; the
fake raises the same error, word for word, and stores nothing either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryRepository, InMemorySession
from serpens_contract._repository_models_relations import Author, Book, Player, Team
from serpens_sqlalchemy import SQLAlchemyRepository

Open = Callable[[type[Any]], Any]
MODELS = (Author, Book, Team, Player)


def _player_as_an_author(repository: Open) -> None:
    stray: Any = Player(name="x")
    repository(Book).add(Book(title="t", author=stray))  # no repository of Player open


def _author_among_players(repository: Open) -> None:
    stray: Any = Author(name="a")
    repository(Team).add(Team(name="t", players=[stray]))


def _stored(repository: Open, steps: Callable[[Open], None]) -> tuple[str, list[int]]:
    """What *steps* raised (type and message), and how many rows of each model are stored."""
    try:
        steps(repository)
    except (AssertionError, ConflictError, ValidationError) as exc:
        raised = f"{type(exc).__name__}: {exc}"
    else:
        raised = "nothing"
    return raised, [repository(model).count() for model in MODELS]


@pytest.mark.parametrize(
    "steps", [_player_as_an_author, _author_among_players], ids=["many-to-one", "one-to-many"]
)
def test_a_stray_object_in_a_relationship_is_stored_by_neither(
    steps: Callable[[Open], None], contract_engine: sa.Engine
) -> None:
    """The add fails and no row is stored, as in a ``Session`` (``AssertionError``).

    SQLAlchemy 2.0's ``save-update`` cascade checks that each object a relationship holds
    is of its mapped class (or a subclass). With no repository of the stray object's
    model open, the fake stored the stray ``Player`` as an ``Author`` row (the book
    referring to it), and the stray ``Author`` as a ``Player`` row, without an error.
    """
    with Session(contract_engine) as sess:
        real = _stored(lambda model: SQLAlchemyRepository(sess, model), steps)
    assert real[0].startswith("AssertionError: Attribute ")
    assert "doesn't handle objects of type" in real[0]
    assert real[1] == [0, 0, 0, 0]
    unit = InMemorySession()
    fake = _stored(lambda model: InMemoryRepository(model, session=unit), steps)
    assert fake == real
