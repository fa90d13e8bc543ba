"""Models whose ``version_id_col`` takes a custom ``version_id_generator``, for the contract.

``Ticket`` versions are random hex strings (``uuid4().hex``), ``Tally`` versions count in
tens (``(v or 0) + 10``), and ``Ledger`` versions are the application's own
(``version_id_generator=False``). ``Revision`` versions come from a bound method of a
built-in (``"%s+".__mod__``), a callable that is no function. Every write path must
store what a ``Session``'s flush would. On ``ContractBase``, so the contract's schema
holds their tables.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from serpens_contract._repository_models import ContractBase

__all__ = ["Ledger", "Revision", "Tally", "Ticket", "new_tag"]


def new_tag(current: str | None) -> str:
    """A new random version, whatever the current one: 32 hex digits."""
    del current
    return uuid.uuid4().hex


class Ticket(ContractBase):
    """A ``String`` version made by :func:`new_tag`."""

    __tablename__ = "contract_tickets"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[str] = mapped_column(sa.String(32), nullable=False)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": new_tag}  # noqa: RUF012


class Tally(ContractBase):
    """An ``Integer`` version counting in tens, by a lambda as users write it.

    A lambda, as SQLAlchemy's own counter is: only the counter's may be taken for it.
    """

    __tablename__ = "contract_tallies"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {  # noqa: RUF012
        "version_id_col": version,
        "version_id_generator": lambda v: (v or 0) + 10,
    }


class Ledger(ContractBase):
    """A version the application sets itself (``version_id_generator=False``)."""

    __tablename__ = "contract_ledgers"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class Revision(ContractBase):
    """A ``String`` version made by ``"%s+".__mod__``: ``None+`` first, one ``+`` more each update.

    A bound method of ``str`` (a ``method-wrapper``) has neither ``__code__`` nor
    ``__module__``: a generator is any callable, not only a function.
    """

    __tablename__ = "contract_revisions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str | None] = mapped_column(sa.String(20))
    version: Mapped[str] = mapped_column(sa.String(40), nullable=False)

    __mapper_args__ = {"version_id_col": version, "version_id_generator": "%s+".__mod__}  # noqa: RUF012
