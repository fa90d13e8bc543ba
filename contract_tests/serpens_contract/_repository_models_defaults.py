"""A model whose column default reads its row, for the Repository contract's default cases.

``Slug.slug`` defaults to its row's ``title`` lower-cased, read through SQLAlchemy's
execution context (``ctx.get_current_parameters()``): a default serpens computes itself
(the in-memory fake; the COPY path of ``bulk_insert``) must see the row as SQLAlchemy's
does. On ``ContractBase``, so the contract's schema holds the table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from serpens_contract._repository_models import ContractBase

__all__ = ["Slug"]


def _slug_of(context: Any) -> str:
    """The row's title, lower-cased: what SQLAlchemy's context-sensitive defaults read."""
    return str(context.get_current_parameters()["title"]).lower()


class Slug(ContractBase):
    """A title and a slug that defaults to the title lower-cased."""

    __tablename__ = "contract_slugs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(40), nullable=False, default=_slug_of)
