"""The exact wording of the in-memory repository's refusals of relationships it cannot write.

A flush writes what relationships hold, as a ``Session``'s does; what the fake cannot write
as exactly is refused before anything is written, naming the model, the relationship and
what to do instead (:mod:`serpens.fakes._repository_relations`).

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from serpens.errors import ValidationError
from serpens.fakes import InMemoryRepository, InMemorySession
from serpens_contract._repository_models_relations import Author, Book, Player, Tag, Team
from tests.serpens.fakes.error_messages._error_cases import _observed


class _Base(DeclarativeBase):
    pass


class _Node(_Base):
    """A self-referencing many-to-one, and one written by a second UPDATE."""

    __tablename__ = "error_messages_nodes"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    up_id: Mapped[int | None] = mapped_column(sa.ForeignKey("error_messages_nodes.id"))
    up: Mapped[_Node | None] = relationship(remote_side="_Node.id", foreign_keys=[up_id])
    late_id: Mapped[int | None] = mapped_column(sa.ForeignKey("error_messages_nodes.id"))
    late: Mapped[_Node | None] = relationship(
        remote_side="_Node.id", foreign_keys=[late_id], post_update=True
    )


class _Left(_Base):
    """Refers to a :class:`_Right`, which refers to a :class:`_Left`: models in a cycle."""

    __tablename__ = "error_messages_lefts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    right_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("error_messages_rights.id", use_alter=True)
    )
    right: Mapped[_Right | None] = relationship(foreign_keys=[right_id])


class _Right(_Base):
    __tablename__ = "error_messages_rights"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    left_id: Mapped[int | None] = mapped_column(sa.ForeignKey("error_messages_lefts.id"))
    left: Mapped[_Left | None] = relationship(foreign_keys=[left_id])


class _Club(_Base):
    __tablename__ = "error_messages_clubs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


class _Seat(_Base):
    """Its foreign key to a :class:`_Club` is part of its primary key."""

    __tablename__ = "error_messages_seats"

    club_id: Mapped[int] = mapped_column(sa.ForeignKey("error_messages_clubs.id"), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    club: Mapped[_Club | None] = relationship()


class _Hub(_Base):
    """Keyed by two columns."""

    __tablename__ = "error_messages_hubs"

    region: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


_HUB_KEY = ["error_messages_hubs.region", "error_messages_hubs.number"]


class _Rim(_Base):
    """Refers to a :class:`_Hub` by both columns of its key."""

    __tablename__ = "error_messages_rims"
    __table_args__ = (sa.ForeignKeyConstraint(["hub_region", "hub_number"], _HUB_KEY),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    hub_region: Mapped[str | None] = mapped_column(sa.String(8))
    hub_number: Mapped[int | None] = mapped_column(sa.Integer)
    hub: Mapped[_Hub | None] = relationship()


class _Spoke(_Base):
    """Refers to a :class:`_Hub` by two columns, one of which no attribute maps."""

    __table__ = sa.Table(
        "error_messages_spokes",
        _Base.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("hub_region", sa.String(8)),
        sa.Column("hub_number", sa.Integer),
        sa.ForeignKeyConstraint(["hub_region", "hub_number"], _HUB_KEY),
    )
    __mapper_args__ = {"exclude_properties": ["hub_number"]}  # noqa: RUF012
    hub = relationship(_Hub)


def _unmapped_pair() -> None:
    hubs, spokes = _unit(_Hub, _Spoke)
    spokes.add(_Spoke(id=1, hub=hubs.add(_Hub(region="eu", number=7))))


def _detached_composite() -> None:
    hubs, rims = _unit(_Hub, _Rim)
    hub = hubs.add(_Hub(region="eu", number=7))
    hubs.commit()
    hubs.close()
    rims.add(_Rim(id=1, hub=hub))


def _key_cleared() -> None:
    clubs, seats = _unit(_Club, _Seat)
    seat = seats.add(_Seat(club=clubs.add(_Club(id=1)), number=1))
    seat.club = None  # a Session would blank out a primary-key column
    seats.flush()


def _cycle() -> None:
    lefts, rights = _unit(_Left, _Right)
    lefts.add(_Left(id=1, right=_Right(id=10)), flush=False)
    rights.add(_Right(id=11, left=_Left(id=2)), flush=False)
    lefts.flush()


def _tagged() -> None:
    books, _ = _unit(Book, Tag)
    books.add(Book(title="t", tags=[Tag(name="x")]))


def _removed() -> None:
    teams, _ = _unit(Team, Player)
    player = Player(name="p")
    team = teams.add(Team(name="t", players=[player]))
    team.players.remove(player)
    teams.flush()


def _post_update() -> None:
    nodes = InMemoryRepository(_Node)
    first = nodes.add(_Node(id=1))
    nodes.add(_Node(id=2, late=first))


def _same_flush() -> None:
    nodes = InMemoryRepository(_Node)
    nodes.add(_Node(id=2, up=_Node(id=1)))


def _alone() -> None:
    InMemoryRepository(Book).add(Book(title="t", author=Author(name="a")))


def _other_unit() -> None:
    authors, _ = _unit(Author, Book)
    author = authors.add(Author(name="a"))
    _, books = _unit(Author, Book)
    books.add(Book(title="t", author=author))


def _detached() -> None:
    authors, books = _unit(Author, Book)
    author = authors.add(Author(name="a"))
    authors.commit()
    authors.close()
    books.add(Book(title="t", author=author))


def _unit(*models: type[object]) -> tuple[InMemoryRepository[object], ...]:
    session = InMemorySession()
    return tuple(InMemoryRepository(model, session=session) for model in models)


_GOLDEN: list[tuple[str, Callable[[], object], str, list[tuple[str, str]]]] = [
    (
        "key_cleared",
        _key_cleared,
        (
            "the in-memory repository cannot write _Seat.club: it was cleared, and its "
            "foreign key is the primary key: club: set the foreign-key columns instead"
        ),
        [("club", "set the foreign-key columns instead")],
    ),
    (
        "cycle",
        _cycle,
        (
            "the in-memory repository cannot write _Left.right: new related objects of "
            "models that refer to each other: right: add the objects of one model first"
        ),
        [("right", "add the objects of one model first")],
    ),
    (
        "tagged",
        _tagged,
        (
            "the in-memory repository cannot write Book.tags: a many-to-many "
            "relationship (secondary=): tags: write the association rows through a "
            "repository of a model mapping them"
        ),
        [
            (
                "tags",
                ("write the association rows through a repository of a model mapping them"),
            ),
        ],
    ),
    (
        "removed",
        _removed,
        (
            "the in-memory repository cannot write Team.players: an object was "
            "removed from it (a Session sets its foreign key to NULL, or deletes it"
            " with delete-orphan): players: set the foreign key of the removed "
            "object, or delete it, through its repository"
        ),
        [
            (
                "players",
                ("set the foreign key of the removed object, or delete it, through its repository"),
            ),
        ],
    ),
    (
        "post_update",
        _post_update,
        (
            "the in-memory repository cannot write _Node.late: a relationship "
            "written by a second UPDATE (post_update=True): late: store both "
            "objects, then set the foreign-key columns"
        ),
        [
            (
                "late",
                "store both objects, then set the foreign-key columns",
            ),
        ],
    ),
    (
        "same_flush",
        _same_flush,
        (
            "the in-memory repository cannot write _Node.up: it holds a new _Node "
            "written in the same flush as the _Node, and the fake writes one "
            "model's rows in one step: up: add the referenced object first (a flush"
            " of its own), then this one"
        ),
        [
            (
                "up",
                "add the referenced object first (a flush of its own), then this one",
            ),
        ],
    ),
    (
        "alone",
        _alone,
        (
            "the in-memory repository cannot write Book.author: storing the new "
            "Author it holds needs a repository of Author in the same unit of work:"
            " author: open the repositories with one InMemorySession (session=), or"
            " add it first and set the foreign key"
        ),
        [
            (
                "author",
                (
                    "open the repositories with one InMemorySession (session=), or add it "
                    "first and set the foreign key"
                ),
            ),
        ],
    ),
    (
        "other_unit",
        _other_unit,
        (
            "the in-memory repository cannot write Book.author: it holds a related "
            "Author another unit of work holds: author: read the Author through a "
            "repository of this unit of work (one InMemorySession)"
        ),
        [
            (
                "author",
                ("read the Author through a repository of this unit of work (one InMemorySession)"),
            ),
        ],
    ),
    (
        "detached",
        _detached,
        (
            "the in-memory repository cannot write Book.author: it holds a related "
            "Author this unit of work does not hold, with the key of a stored row "
            "(id)=(1,): author: read the Author through a repository of this unit "
            "of work, or set the foreign key"
        ),
        [
            (
                "author",
                (
                    "read the Author through a repository of this unit of work, or set the "
                    "foreign key"
                ),
            ),
        ],
    ),
]


_GOLDEN += [
    (
        "unmapped_pair",
        _unmapped_pair,
        (
            "the in-memory repository cannot write _Spoke.hub: a relationship whose join "
            "pairs no mapped columns: hub: set the foreign-key columns instead"
        ),
        [("hub", "set the foreign-key columns instead")],
    ),
    (
        "detached_composite",
        _detached_composite,
        (
            "the in-memory repository cannot write _Rim.hub: it holds a related _Hub this "
            "unit of work does not hold, with the key of a stored row (region, number)="
            "('eu', 7): hub: read the _Hub through a repository of this unit of work, or "
            "set the foreign key"
        ),
        [
            (
                "hub",
                "read the _Hub through a repository of this unit of work, or set the foreign key",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("call", "message", "fields"), [g[1:] for g in _GOLDEN], ids=[g[0] for g in _GOLDEN]
)
async def test_relationship_refusal_wording(
    call: Callable[[], object], message: str, fields: list[tuple[str, str]]
) -> None:
    """The flush raises exactly a ``ValidationError`` reading exactly *message*.

    A join pairing a column no attribute maps (one of two, or all) is refused as having
    no mapped columns; a detached object's stored key is named column by column.
    """
    assert await _observed(call) == (ValidationError, message, fields)
