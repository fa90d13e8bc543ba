"""The loader callables the in-memory repository registers for columns it left unloaded.

SQLAlchemy calls ``InstanceState.callables[key](state, passive)`` for a key missing from
an object's instance dict, so a loader registered there acts for that one object only:
no other object, and no real session, is affected. A ``Session`` answers such a read as
the fake's loaders do (:mod:`~._repository_unloaded` registers them):

- :class:`Unloaded`, while the unit of work holds the object: a sync ``Session`` loads
  the row as it is then (its own writes included), every column not set since at once;
  an ``AsyncSession`` cannot load outside an ``await`` and SQLAlchemy raises
  ``MissingGreenlet``; after a failed flush either refuses with ``PendingRollbackError``.
- :data:`DETACHED`, after ``close()``: no session can load it, and SQLAlchemy raises
  ``DetachedInstanceError`` (an ``AsyncSession``'s objects too: before any IO).

Each answers a look that may not load (history, inspection) with "no result", as
SQLAlchemy's own loaders do.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

__all__ = ["DETACHED", "Loader", "Unloaded", "missing_greenlet"]


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


class Loader:
    """A loader callable of the fake's (the type every one of them has)."""

    __slots__ = ()

    def __call__(self, state: Any, passive: Any) -> Any:
        from sqlalchemy.orm import base  # noqa: PLC0415 - lazy SDK import

        if not passive & base.SQL_OK:  # a look that may not load (history, inspection)
            return base.PASSIVE_NO_RESULT
        return self.load(state)

    def load(self, state: Any) -> Any:
        """Answer a read of an unloaded column of *state*'s object."""
        raise NotImplementedError


class _Detached(Loader):
    __slots__ = ()

    def load(self, state: Any) -> Any:
        from sqlalchemy.orm import exc, util  # noqa: PLC0415 - lazy SDK import

        raise exc.DetachedInstanceError(
            f"Instance {util.state_str(state)} is not bound to a Session; "
            "attribute refresh operation cannot proceed"
        )


DETACHED: Loader = _Detached()


class Unloaded(Loader):
    """The loader of a column *repo* left unloaded, while *repo* holds the object.

    A unit of work whose flush failed refuses the load as a ``Session`` does
    (``PendingRollbackError``, an ``AsyncSession`` too: before any IO); else an async
    repository raises ``MissingGreenlet`` and a sync one loads the row as the unit of work
    sees it, every column not set since, as a ``Session``'s load of an expired object.
    """

    __slots__ = ("_repo",)

    def __init__(self, repo: Any) -> None:
        self._repo = weakref.ref(repo)  # the objects' callables must not keep it alive

    def load(self, state: Any) -> Any:
        from sqlalchemy import exc  # noqa: PLC0415 - lazy SDK import
        from sqlalchemy.orm import base  # noqa: PLC0415

        repo: Any = self._repo()
        obj = state.obj()
        ident = None if repo is None else repo._keys.get(state)  # noqa: SLF001
        if ident is None or repo._identity.get(ident) is not obj:  # noqa: SLF001
            return DETACHED.load(state)  # its repository dropped unclosed: no session
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
