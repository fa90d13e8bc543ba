"""serpens 2.9's import path of the repositories, kept so that existing imports run unchanged.

``from serpens.database.repository import AsyncRepository, NotFound, Repository`` gives
the same classes as ``serpens.database`` (the ``serpens_sqlalchemy`` adapters) and the
same ``NotFound`` (:class:`serpens.errors.NotFoundError`, a ``LookupError``).
"""

from __future__ import annotations

from serpens.errors import NotFoundError as NotFound
from serpens_sqlalchemy import AsyncRepository, Repository

__all__ = ["AsyncRepository", "NotFound", "Repository"]
