"""Single-table hierarchies whose subclasses map columns of their own, for the contract.

``Vehicle`` (identity ``"vehicle"``) is the base of ``Car`` and ``Truck``, each adding
columns the other classes' rows leave to their defaults or ``NULL`` in the one table:
``Car.plate`` is unique, ``Car.colour`` has a Python-side default; ``Truck.axles`` has a
``CHECK`` constraint, ``Truck.wheels`` is NOT NULL with a default (every row gets one),
``Truck.load`` a server default. ``Deposit``'s subclass ``Savings`` adds ``rate``, NOT
NULL without a default: PostgreSQL and SQLite refuse every row of another class, which
leaves it empty. On ``ContractBase``, so the contract's schema holds the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from serpens_contract._repository_models import ContractBase

__all__ = ["Car", "Deposit", "Savings", "Truck", "Vehicle"]


class Vehicle(ContractBase):
    """The base class: its repository sees every row, and none of its subclasses' columns."""

    __tablename__ = "contract_vehicles"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "vehicle"}  # noqa: RUF012


class Car(Vehicle):
    """A subclass with columns of its own: a unique one and one with a default."""

    seats: Mapped[int | None] = mapped_column(sa.Integer)
    plate: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    colour: Mapped[str | None] = mapped_column(sa.String(10), default="grey")

    __mapper_args__ = {"polymorphic_identity": "car"}  # noqa: RUF012


class Truck(Vehicle):
    """A sibling subclass: a checked column, a NOT NULL one with a default, a server default."""

    axles: Mapped[int | None] = mapped_column(
        sa.Integer, sa.CheckConstraint("axles >= 2", name="ck_contract_vehicles_axles")
    )
    wheels: Mapped[int] = mapped_column(sa.Integer, default=6)
    load: Mapped[int | None] = mapped_column(sa.Integer, server_default=sa.text("0"))

    __mapper_args__ = {"polymorphic_identity": "truck"}  # noqa: RUF012


class Deposit(ContractBase):
    """A base whose rows PostgreSQL refuses: its subclass's NOT NULL column stays empty."""

    __tablename__ = "contract_deposits"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    owner: Mapped[str] = mapped_column(sa.String(40), nullable=False)

    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "deposit"}  # noqa: RUF012


class Savings(Deposit):
    """A subclass adding a NOT NULL column without a default (``Mapped[int]``)."""

    rate: Mapped[int] = mapped_column(sa.Integer)

    __mapper_args__ = {"polymorphic_identity": "savings"}  # noqa: RUF012
