"""Repository cases of relationships written in one shared unit of work.

One theme of :class:`~serpens_contract.repository.RepositoryContract` (capability
``shared_units_of_work``): a ``Session``'s flush writes what relationships hold. An
object whose many-to-one relationship holds another gets its foreign key from it; a new
object held that way is stored first (the default ``save-update`` cascade), through the
unit of work's repository of its model or without one; objects appended to a stored
object's one-to-many collection are stored with their foreign key set. An add whose
relationships reach a refused object (a duplicate, a value over its column's limit)
writes none of it and leaves the unit usable, as its savepoint does. What an
implementation cannot write as a ``Session`` does (many-to-many, a removal from a
collection) it may refuse with a ``ValidationError`` whose path names the relationship,
before it writes anything: never a different result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase, SharedUnitDatabase
from serpens_contract._repository_models_relations import Author, Book, Player, Tag, Team
from serpens_contract.capabilities import requires


def _shared(db: RepositoryDatabase, *models: type[Any]) -> tuple[Any, ...]:
    return cast("SharedUnitDatabase", db).repositories(*models)


def _refused(call: Callable[[], object]) -> list[str] | None:
    """The paths of the ``ValidationError`` *call* raises, or ``None`` when it writes."""
    try:
        call()
    except ValidationError as error:
        return [e.path for e in error.errors]
    return None


def _committed(db: RepositoryDatabase, model: type[Any], **filters: object) -> int:
    """How many rows of *model* matching *filters* another unit of work sees."""
    repo: Any = db.repository(model)
    seen = int(repo.count(**filters))
    db.close_unit_of_work(repo)
    return seen


class RelationshipCases:
    """Cases on relationships between models whose repositories share one unit of work."""

    @requires("shared_units_of_work")
    def test_a_many_to_one_relationship_to_a_stored_object_sets_the_foreign_key(
        self, db: RepositoryDatabase
    ) -> None:
        authors, books = _shared(db, Author, Book)
        author = authors.add(Author(name="a"))
        book = books.add(Book(title="t", author=author))
        assert book.author_id == author.id
        later = Book(title="u")
        books.add(later, flush=False)
        later.author = author  # set while pending: written by the next flush
        books.flush()
        assert later.author_id == author.id
        assert books.count(author_id=author.id) == 2
        db.commit(books)
        assert _committed(db, Book, author_id=author.id) == 2

    @requires("shared_units_of_work")
    def test_a_new_object_a_many_to_one_relationship_holds_is_stored_first(
        self, db: RepositoryDatabase
    ) -> None:
        authors, books = _shared(db, Author, Book)
        book = books.add(Book(title="t", author=Author(name="n")))
        stored = authors.get_by(name="n")
        assert stored is not None
        assert book.author_id == stored.id
        db.commit(books)
        assert (_committed(db, Author), _committed(db, Book, author_id=stored.id)) == (1, 1)
        (alone,) = _shared(db, Book)  # no repository of Author in this unit of work
        alone.add(Book(title="v", author=Author(name="m")))
        db.commit(alone)
        assert (_committed(db, Author), _committed(db, Book)) == (2, 2)

    @requires("shared_units_of_work")
    def test_objects_in_a_one_to_many_collection_are_stored_with_the_foreign_key(
        self, db: RepositoryDatabase
    ) -> None:
        players, teams = _shared(db, Player, Team)  # the collection's model opened first
        # players=[] loads the collection: appending to an unloaded one would query for it
        team = teams.add(Team(name="t", players=[]))
        team.players.append(Player(name="p"))
        teams.flush()
        assert players.count(team_id=team.id) == 1
        other = teams.add(Team(name="u", players=[Player(name="q"), Player(name="r")]))
        assert sorted(p.team_id for p in other.players) == [other.id, other.id]
        db.commit(players)
        assert _committed(db, Player, team_id=other.id) == 2
        assert _committed(db, Player) == 3

    @requires("shared_units_of_work")
    def test_a_many_to_many_relationship_is_written_or_refused_before_any_write(
        self, db: RepositoryDatabase
    ) -> None:
        books, tags = _shared(db, Book, Tag)
        refused = _refused(lambda: books.add(Book(title="t", tags=[Tag(name="x")])))
        if refused is not None:
            assert refused == ["tags"]
            assert (books.count(), tags.count()) == (0, 0)  # nothing written, unit usable
        else:
            assert (books.count(), tags.count()) == (1, 1)

    @requires("shared_units_of_work")
    def test_a_removal_from_a_collection_is_written_or_refused_before_any_write(
        self, db: RepositoryDatabase
    ) -> None:
        teams, players = _shared(db, Team, Player)
        player = Player(name="p")
        team = teams.add(Team(name="t", players=[player]))
        db.commit(teams)
        team.players.remove(player)
        refused = _refused(teams.flush)
        if refused is not None:
            assert refused == ["players"]
            assert players.count(team_id=team.id) == 1  # nothing written, unit usable
        else:
            assert players.count(team_id=None) == 1  # a Session sets the foreign key to NULL

    @requires("shared_units_of_work")
    def test_an_add_whose_cascade_fails_writes_none_of_it_and_the_unit_goes_on(
        self, db: RepositoryDatabase
    ) -> None:
        """A refused object a relationship reaches refuses the whole ``add``, nothing else.

        As a ``Session`` writes the add in a savepoint: the author held by the book is a
        duplicate (or too long a value), so neither is stored; what the unit wrote before
        stays, and the book, given a stored author, is then added and committed.
        """
        authors, books, teams, players = _shared(db, Author, Book, Team, Player)
        taken = authors.add(Author(name="taken"))
        teams.add(Team(name="t", players=[Player(name="p")]))
        db.commit(authors)
        kept = books.add(Book(title="kept", author=taken))
        book = Book(title="b", author=Author(name="taken"))
        with pytest.raises(ConflictError):
            books.add(book)
        with pytest.raises(ValidationError):
            books.add(Book(title="c", author=Author(name="x" * 41)))
        with pytest.raises(ConflictError):
            teams.add(Team(name="t", players=[Player(name="q")]))
        with pytest.raises(ValidationError):
            teams.bulk_add([Team(name="u"), Team(name="v", players=[Player(name="y" * 41)])])
        assert (authors.count(), books.count()) == (1, 1)
        assert (teams.count(), players.count()) == (1, 1)
        assert books.get(kept.id) is kept
        book.author = taken
        books.add(book)
        assert book.author_id == taken.id
        db.commit(books)
        assert (_committed(db, Author), _committed(db, Book, author_id=taken.id)) == (1, 2)
        assert (_committed(db, Team), _committed(db, Player)) == (1, 1)

    @requires("shared_units_of_work")
    def test_a_changed_or_cleared_many_to_one_rewrites_the_foreign_key(
        self, db: RepositoryDatabase
    ) -> None:
        """Moving a stored object to another related one, or to none, writes its foreign key.

        The repositories are opened referring model first, so the model referred to must
        still be written first when a new object of it comes along.
        """
        books, authors = _shared(db, Book, Author)
        first, second = authors.add(Author(name="a")), authors.add(Author(name="b"))
        book = books.add(Book(title="t", author=first))
        db.commit(books)
        book.author = second
        books.flush()
        assert book.author_id == second.id
        assert books.count(author_id=second.id) == 1
        book.author = None
        books.flush()
        assert book.author_id is None
        db.commit(books)
        assert _committed(db, Book, author_id=None) == 1
        books.add(Book(title="u", author=Author(name="c")))  # the new author stored first
        book.author = Author(name="d")  # a new one set on a stored book: stored with it
        books.flush()
        assert book.author_id == authors.get_by(name="d").id
        db.commit(books)
        assert (_committed(db, Author), _committed(db, Book)) == (4, 2)

    @requires("shared_units_of_work")
    def test_one_flush_writes_the_foreign_keys_of_several_relationships(
        self, db: RepositoryDatabase
    ) -> None:
        """Objects added unflushed along two relationships get their keys in the next flush.

        A second repository of a model in the unit writes relationships as the first does.
        """
        books, authors, teams, players, more = _shared(db, Book, Author, Team, Player, Book)
        stored = authors.add(Author(name="s"))
        later = more.add(Book(title="s", author=stored))  # through the second one of Book
        assert later.author_id == stored.id
        books.add(Book(title="t", author=Author(name="a")), flush=False)
        teams.add(Team(name="t", players=[Player(name="p"), Player(name="q")]), flush=False)
        books.flush()
        team = teams.get_by(name="t")
        author = authors.get_by(name="a")
        assert (books.count(author_id=author.id), players.count(team_id=team.id)) == (1, 2)
        db.commit(players)
        assert (_committed(db, Book, author_id=author.id), _committed(db, Player)) == (1, 2)
        assert _committed(db, Book, author_id=stored.id) == 1

    @requires("shared_units_of_work")
    def test_an_add_referring_to_unflushed_objects_writes_them_first(
        self, db: RepositoryDatabase
    ) -> None:
        """An add flushes the whole unit of work: objects added with ``flush=False`` first.

        So a book given an author added unflushed, or a team holding a player added
        unflushed, gets its keys from them at once, as a ``Session``'s flush writes them.
        """
        authors, books, teams, players = _shared(db, Author, Book, Team, Player)
        author = authors.add(Author(name="a"), flush=False)
        book = books.add(Book(title="t", author=author))
        assert author.id is not None
        assert book.author_id == author.id
        player = players.add(Player(name="p"), flush=False)
        team = teams.add(Team(name="t", players=[player]))
        assert player.team_id == team.id
        db.commit(books)
        assert _committed(db, Book, author_id=author.id) == 1
        assert _committed(db, Player, team_id=team.id) == 1
