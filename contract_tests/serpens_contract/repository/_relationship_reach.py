"""Repository cases of what relationships reach: subclasses' relationships, failed adds.

One theme of :class:`~serpens_contract.repository.RepositoryContract` (capability
``shared_units_of_work``), beside the relationship cases. A ``Session`` writes the
relationships of an object's own class: one declared on a single-table subclass is
written when the object is added through a repository of the base class, and one a
subclass inherits cascades as on its parent class. An ``add`` that stores related objects
is written in a savepoint: when it fails, every object it reached is left as it was
before the call (no key, no foreign key), so the same objects, put right, can be added
again and are stored.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models_relations import (
    Author,
    Book,
    Craft,
    Pilot,
    Player,
    SeaTug,
    Team,
    Tug,
)
from serpens_contract.capabilities import requires


def _shared(db: RepositoryDatabase, *models: type[Any]) -> tuple[Any, ...]:
    return cast("SharedUnitDatabase", db).repositories(*models)


def _committed(db: RepositoryDatabase, model: type[Any], **filters: object) -> int:
    """How many rows of *model* matching *filters* another unit of work sees."""
    repo: Any = db.repository(model)
    seen = int(repo.count(**filters))
    db.close_unit_of_work(repo)
    return seen


class RelationshipReachCases:
    """Cases on relationships of subclasses, and on adds whose related objects fail."""

    @requires("shared_units_of_work")
    def test_a_subclass_relationship_is_written_through_a_repository_of_the_base(
        self, db: RepositoryDatabase
    ) -> None:
        """``Tug.pilot``, declared on the subclass only, is written by an add to ``Craft``'s.

        A ``Session`` cascades along the relationships of the added object's class: the new
        pilot is stored first and the tug gets its key, though no model of a repository in
        the unit of work declares a relationship.
        """
        crafts, pilots = _shared(db, Craft, Pilot)
        tug = crafts.add(Tug(name="t", pilot=Pilot(name="p")))
        pilot = pilots.get_by(name="p")
        assert pilot is not None
        assert tug.pilot_id == pilot.id
        db.commit(crafts)
        assert (_committed(db, Pilot), _committed(db, Tug, pilot_id=pilot.id)) == (1, 1)

    @requires("shared_units_of_work")
    def test_a_relationship_a_subclass_inherits_cascades_from_a_held_object(
        self, db: RepositoryDatabase
    ) -> None:
        """A new pilot set on a stored ``SeaTug`` (``pilot`` declared on ``Tug``) is stored.

        Set on the held object's side, the default ``save-update`` cascade takes the pilot
        into the unit of work, as on a ``Tug``; the next flush stores it and the sea tug's
        foreign key.
        """
        tugs, pilots = _shared(db, Tug, Pilot)
        sea = tugs.add(SeaTug(name="s"))
        sea.pilot = Pilot(name="q")
        tugs.flush()
        pilot = pilots.get_by(name="q")
        assert pilot is not None
        assert sea.pilot_id == pilot.id
        db.commit(tugs)
        assert (_committed(db, Pilot), _committed(db, SeaTug, pilot_id=pilot.id)) == (1, 1)

    @requires("shared_units_of_work")
    def test_an_add_whose_cascade_fails_leaves_every_object_it_reached_as_it_was(
        self, db: RepositoryDatabase
    ) -> None:
        """No object a failed ``bulk_add`` reached holds a key; added again, all are stored.

        Its savepoint rolled back, a ``Session`` stores none of the objects (the authors of
        the books, the players of the teams) and gives none a key or a foreign key: put
        right, the same objects are added again and stored with their relationships.
        """
        authors, books, teams, players = _shared(db, Author, Book, Team, Player)
        first, second = Author(name="a"), Author(name="b")
        kept, long = Book(title="t", author=first), Book(title="x" * 41, author=second)
        with pytest.raises(ValidationError):
            books.bulk_add([kept, long])
        reached: list[Any] = [first, second, kept, long]  # keys Mapped[int]: unset, None
        assert [(o.id, getattr(o, "author_id", None)) for o in reached] == [(None, None)] * 4
        long.title = "u"
        books.bulk_add([kept, long])
        assert (kept.author_id, long.author_id) == (first.id, second.id)
        player, wrong = Player(name="p"), Player(name="y" * 41)
        home, away = Team(name="h", players=[player]), Team(name="w", players=[wrong])
        with pytest.raises(ValidationError):
            teams.bulk_add([home, away])
        reached = [home, away, player, wrong]
        assert [(o.id, getattr(o, "team_id", None)) for o in reached] == [(None, None)] * 4
        wrong.name = "y"
        teams.bulk_add([home, away])
        assert (player.team_id, wrong.team_id) == (home.id, away.id)
        assert (authors.count(), books.count(), teams.count(), players.count()) == (2, 2, 2, 2)
        db.commit(books)
        assert (_committed(db, Book, author_id=first.id), _committed(db, Author)) == (1, 2)
        assert (_committed(db, Player, team_id=away.id), _committed(db, Team)) == (1, 2)

    @requires("shared_units_of_work")
    def test_a_many_to_one_holding_an_object_of_another_model_stores_none_of_it(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``Player`` put in ``Book.author`` fails the add, and neither object is stored.

        A ``Session``'s flush refuses an object of a class the relationship does not map
        (``AssertionError``: the attribute "doesn't handle objects of type" ``Player``);
        an implementation may refuse it another way, but never stores it as an author.
        The unit of work has a repository of each of the three models.
        """
        _, books, _ = _shared(db, Author, Book, Player)
        stray: Any = Player(name="x")
        with pytest.raises((AssertionError, ConflictError, ValidationError)):
            books.add(Book(title="t", author=stray))
        db.close_unit_of_work(books)
        counts = [_committed(db, model) for model in (Author, Book, Player)]
        assert counts == [0, 0, 0]
