"""A relationship declared on a single-table subclass, written through the base's repository.

``Tug.pilot`` is declared on :class:`Tug` only; its base :class:`Craft` has no
relationship. A ``Session`` writes the relationships of each object's own class, so a
pilot set on a tug it holds is stored at the next flush, whichever repository the tug
was added through. The same steps run on the fake and on the SQLAlchemy repositories
sharing one ``Session`` on SQLite; the rows stored must be the same.
"""

from __future__ import annotations

import warnings
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from serpens.fakes import InMemoryRepository, InMemorySession
from serpens_contract._repository_models_relations import Craft, Pilot, Tug
from serpens_sqlalchemy import SQLAlchemyRepository

Stored = tuple[list[tuple[str, str | None]], list[str]]


def _pilot_set_on_a_held_tug(crafts: Any, pilots: Any) -> Stored:
    """The crafts stored (name, pilot's name) and the warnings after the steps."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tug = crafts.add(Tug(name="t"))
        tug.pilot = Pilot(name="q")  # set on the held tug's side: cascaded by a Session
        crafts.flush()
    names = {p.id: p.name for p in pilots.list(limit=10)}
    stored = sorted((c.name, names.get(c.pilot_id)) for c in crafts.list(limit=10))
    return stored, [str(w.message) for w in caught]


def test_a_pilot_set_on_a_held_tug_is_stored_as_a_session_stores_it(
    contract_engine: sa.Engine,
) -> None:
    """The new pilot and the tug's ``pilot_id`` are stored, as a ``Session``'s flush does.

    SQLAlchemy cascades ``save-update`` along ``Tug.pilot`` when it is set on a tug the
    session holds, and the flush writes the pilot first and the tug's foreign key; so
    does the fake, with repositories of ``Craft`` and ``Pilot`` (neither declares a
    relationship: it skipped the tug's own and warned of nothing).
    """
    with Session(contract_engine) as sess:
        real = _pilot_set_on_a_held_tug(
            SQLAlchemyRepository(sess, Craft), SQLAlchemyRepository(sess, Pilot)
        )
    assert real == ([("t", "q")], [])
    unit = InMemorySession()
    fake = _pilot_set_on_a_held_tug(
        InMemoryRepository(Craft, session=unit), InMemoryRepository(Pilot, session=unit)
    )
    assert fake == real
