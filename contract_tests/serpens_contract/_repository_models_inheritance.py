"""A single-table hierarchy the Repository contract runs on: three classes, one table.

``Staff`` (identity ``"staff"``) is the base, ``Manager`` a subclass and ``Director`` a
subclass of it, told apart by the discriminator column ``kind``; no subclass maps a
column of its own. On ``ContractBase``, so the contract's schema holds the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from serpens_contract._repository_models import ContractBase

__all__ = ["Director", "Manager", "Staff"]


class Staff(ContractBase):
    """The base class of the hierarchy: its repository sees every row."""

    __tablename__ = "contract_staff"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "staff"}  # noqa: RUF012


class Manager(Staff):
    """A subclass: its repository sees the managers' and the directors' rows."""

    __mapper_args__ = {"polymorphic_identity": "manager"}  # noqa: RUF012


class Director(Manager):
    """A subclass of a subclass: its repository sees the directors' rows only."""

    __mapper_args__ = {"polymorphic_identity": "director"}  # noqa: RUF012
