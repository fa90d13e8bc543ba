"""Mapped classes of the Repository contract's relationship cases.

Each relationship is declared on one side only (no backref): a ``Session`` warns when a
backref puts an object it does not hold into a collection of one it holds, and the
contract's cases write only what every backend writes without a warning. :class:`Book`
refers to :class:`Author` by a many-to-one relationship and is tagged through an
association table (many-to-many); :class:`Team` holds its :class:`Player` rows in a
one-to-many collection. :class:`Craft` is a single-table hierarchy whose base declares no
relationship: :class:`Tug` declares its many-to-one to a :class:`Pilot`, and
:class:`SeaTug` inherits it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from serpens_contract._repository_models import ContractBase

__all__ = ["Author", "Book", "Craft", "Pilot", "Player", "SeaTug", "Tag", "Team", "Tug"]


class Author(ContractBase):
    """Referred to by :class:`Book` (many-to-one, no collection back)."""

    __tablename__ = "contract_authors"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)


book_tags = sa.Table(
    "contract_book_tags",
    ContractBase.metadata,
    sa.Column("book_id", sa.ForeignKey("contract_books.id"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("contract_tags.id"), primary_key=True),
)


class Tag(ContractBase):
    """A tag of books, through the ``contract_book_tags`` association table."""

    __tablename__ = "contract_tags"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)


class Book(ContractBase):
    """A book: its author by a many-to-one relationship, its tags by a many-to-many one."""

    __tablename__ = "contract_books"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_authors.id"))
    author: Mapped[Author | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=book_tags)


class Team(ContractBase):
    """Holds its players in a one-to-many collection (no many-to-one back)."""

    __tablename__ = "contract_teams"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    players: Mapped[list[Player]] = relationship()


class Player(ContractBase):
    """One of a :class:`Team`'s players."""

    __tablename__ = "contract_players"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_teams.id"))


class Pilot(ContractBase):
    """Referred to by :class:`Tug` (many-to-one, no collection back)."""

    __tablename__ = "contract_pilots"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)


class Craft(ContractBase):
    """The base of a single-table hierarchy, with no relationship of its own."""

    __tablename__ = "contract_crafts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "craft"}  # noqa: RUF012


class Tug(Craft):
    """Declares a many-to-one to its :class:`Pilot`: the base :class:`Craft` has none."""

    pilot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_pilots.id"))
    pilot: Mapped[Pilot | None] = relationship()

    __mapper_args__ = {"polymorphic_identity": "tug"}  # noqa: RUF012


class SeaTug(Tug):
    """Inherits :attr:`Tug.pilot`, declared on its parent class."""

    __mapper_args__ = {"polymorphic_identity": "seatug"}  # noqa: RUF012
