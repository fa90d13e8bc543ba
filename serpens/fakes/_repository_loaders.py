"""The loader callable the in-memory repository registers for the columns it left unloaded.

SQLAlchemy calls ``InstanceState.callables[key](state, passive)`` for a key missing from
an object's instance dict, so a loader registered there acts for that one object only:
no other object, and no real session, is affected. :class:`Unloaded` answers such a read
as a ``Session`` does (:mod:`~._repository_unloaded` registers it):

- while the unit of work holds the object, a sync ``Session`` loads the row as it is then
  (its own writes included), every column not set since at once; an ``AsyncSession``
  cannot load outside an ``await`` and SQLAlchemy raises ``MissingGreenlet``; after a
  failed flush either refuses with ``PendingRollbackError``;
- once the unit of work no longer holds it (``close()``, or its repository dropped
  unclosed), no session can load it: SQLAlchemy raises ``DetachedInstanceError`` (for an
  ``AsyncSession``'s objects too: before any IO).

A look that may not load (history, inspection) gets "no result", as from SQLAlchemy's
own loaders.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

__all__ = ["Unloaded", "missing_greenlet"]


@functools.cache
def _greenlet_message() -> str:
    """SQLAlchemy's own message for IO attempted outside ``greenlet_spawn``."""
    from sqlalchemy import exc  # noqa: PLC0415 - lazy SDK import
    from sqlalchemy.util import concurrency  # noqa: PLC0415

    async def nothing() -> None:
        """Never run: SQLAlchemy refuses to await it outside a greenlet."""

    pending = nothing()
    try:
        concurrency.await_only(pending)
    except exc.MissingGreenlet as error:
        return str(error.args[0])
    finally:
        pending.close()
    return "greenlet_spawn has not been called; can't call await_only() here."  # pragma: no cover


def missing_greenlet() -> Exception:
    """The ``sqlalchemy.exc.MissingGreenlet`` an ``AsyncSession``'s lazy load raises."""
    from sqlalchemy import exc  # noqa: PLC0415 - lazy SDK import

    return exc.MissingGreenlet(_greenlet_message())


def _detached(state: Any) -> Exception:
    """SQLAlchemy's ``DetachedInstanceError`` for a load of *state*'s object."""
    from sqlalchemy.orm import exc, util  # noqa: PLC0415 - lazy SDK import

    return exc.DetachedInstanceError(
        f"Instance {util.state_str(state)} is not bound to a Session; "
        "attribute refresh operation cannot proceed"
    )


class Unloaded:
    """The loader callable of a column *repo* left unloaded (the type of every one).

    A unit of work whose flush failed refuses the load as a ``Session`` does
    (``PendingRollbackError``, an ``AsyncSession`` too: before any IO); else an async
    repository raises ``MissingGreenlet`` and a sync one loads the row as the unit of work
    sees it, every column not set since, as a ``Session``'s load of an expired object.
    """

    __slots__ = ("_repo",)

    def __init__(self, repo: Any) -> None:
        self._repo = weakref.ref(repo)  # the objects' callables must not keep it alive

    def __call__(self, state: Any, passive: Any) -> Any:
        from sqlalchemy import exc  # noqa: PLC0415 - lazy SDK import
        from sqlalchemy.orm import base  # noqa: PLC0415

        if not passive & base.SQL_OK:  # a look that may not load (history, inspection)
            return base.PASSIVE_NO_RESULT
        repo: Any = self._repo()
        obj = state.obj()
        ident = None if repo is None else repo._keys.get(state)  # noqa: SLF001
        if ident is None or repo._identity.get(ident) is not obj:  # noqa: SLF001
            raise _detached(state)  # closed, or its repository dropped unclosed: no session
        failure = repo._failure  # noqa: SLF001
        if failure.failed:
            raise exc.PendingRollbackError(_PENDING_ROLLBACK, code="7s2a")
        if not repo._loads_on_access:  # noqa: SLF001 - an AsyncSession: no IO here
            raise missing_greenlet()
        failure.begun = True  # a load is a statement: it begins the transaction
        repo._reload(ident, obj, repo._rows.get(ident))  # noqa: SLF001 - every column not set since
        return base.ATTR_WAS_SET


_PENDING_ROLLBACK = (
    "This Session's transaction has been rolled back due to a previous exception during "
    "flush. To begin a new transaction with this Session, first issue Session.rollback()."
)
