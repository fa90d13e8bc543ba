"""Single-table hierarchies whose subclasses map columns of their own, for the contract.

``Vehicle`` (identity ``"vehicle"``) is the base of ``Car`` and ``Truck``, each adding
columns the other classes' rows leave to their defaults or ``NULL`` in the one table:
``Car.plate`` is unique, ``Car.colour`` has a Python-side default; ``Truck.axles`` has a
``CHECK`` constraint, ``Truck.wheels`` is NOT NULL with a default (every row gets one),
``Truck.load`` a server default. ``Deposit``'s subclass ``Savings`` adds ``rate``, NOT
NULL without a default: PostgreSQL and SQLite refuse every row of another class, which
leaves it empty. ``Parcel``, keyed by text (its table has no generated key) and
versioned, has a foreign key to ``Product``; its subclass ``Courier`` adds a nullable
integer, a foreign key to ``Vehicle`` and a ``JSON`` list. On ``ContractBase``, so the
contract's schema holds the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from serpens_contract._repository_models import ContractBase

__all__ = ["Car", "Courier", "Deposit", "Parcel", "Savings", "Truck", "Vehicle"]


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


class Parcel(ContractBase):
    """A base keyed by text (no column generates keys), versioned, with a foreign key."""

    __tablename__ = "contract_parcels"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_products.id"))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {  # noqa: RUF012
        "polymorphic_on": kind,
        "polymorphic_identity": "parcel",
        "version_id_col": version,
    }


class Courier(Parcel):
    """A subclass adding a nullable integer, a foreign key to a hierarchy and a JSON list."""

    stops: Mapped[int | None] = mapped_column(sa.Integer)
    vehicle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_vehicles.id"))
    route: Mapped[list[str] | None] = mapped_column(sa.JSON)

    __mapper_args__ = {"polymorphic_identity": "courier"}  # noqa: RUF012
