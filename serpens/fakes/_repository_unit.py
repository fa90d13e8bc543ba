"""One unit of work shared by several in-memory repositories, as one ``Session`` is.

A service hands one session to the repositories of several models (an order and its
lines, a row and its outbox message) and commits them together: both or neither.
:class:`InMemorySession` is that session for the fake. Repositories opened with
``session=`` write into it; a commit, from the session or any of its repositories,
publishes every one of their writes at once, and a rollback or a close discards them
all. Two repositories of one model in one session share its state (one instance per key),
as two repositories on one ``Session`` do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from serpens.errors import ConflictError
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_work import PendingRows

__all__ = ["InMemorySession", "publish_together"]


class _Member(Protocol):
    """What the session needs of a repository's unit-of-work state."""

    model: type[Any]
    _rows: PendingRows

    def _flush(self) -> None: ...
    def _discard(self, *, forget: bool) -> None: ...
    def _forget_all(self) -> None: ...


def publish_together(units: Sequence[PendingRows]) -> None:
    """Publish the pending rows of several tables at once, or none (``ConflictError``).

    Every table's lock is held, in one fixed order whatever the thread, while each unit's
    rows are checked and then written: no other commit lands between two of them, and a
    conflict in the last leaves the first unwritten.
    """
    locks = {id(unit.base): unit.base.lock for unit in units}
    with contextlib.ExitStack() as held:
        for key in sorted(locks):
            held.enter_context(locks[key])
        checked = [unit.prepare() for unit in units]
        for unit, final in zip(units, checked, strict=True):
            unit.apply(final)
    for unit in units:
        unit.discard()


class InMemorySession:
    """A unit of work several in-memory repositories share, as they would one ``Session``.

    ``InMemoryRepository(Order, session=s)`` and ``InMemoryRepository(Line, session=s)``
    see each other's writes at once; other units of work on the database see them only
    after :meth:`commit`, all together. The repositories' own ``commit()``,
    ``rollback()`` and ``close()`` act on the whole session, as each would call the
    shared ``Session``'s. Used as a context manager it is closed on exit (uncommitted
    writes discarded), as ``with Session(engine) as session:`` is.

    Args:
        database: the database it works on (a new one by default).
    """

    def __init__(self, database: InMemoryDatabase | None = None) -> None:
        self.database = database if database is not None else InMemoryDatabase()
        self._members: dict[type[Any], _Member] = {}

    def __repr__(self) -> str:
        names = ", ".join(model.__name__ for model in self._members)
        return f"<InMemorySession of {names or 'no model yet'}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def member(self, model: type[Any]) -> Any:
        """The unit-of-work state this session keeps for *model*, if a repository opened it."""
        return self._members.get(model)

    def join(self, member: _Member) -> None:
        """Keep *member*, the first repository of its model opened in this session."""
        self._members[member.model] = member

    def commit(self) -> None:
        """Flush every repository of the session, then publish all their writes at once.

        ``ConflictError`` as one repository's ``commit()`` raises it (a key or unique
        value another unit of work committed meanwhile, a stale version): the whole
        session is then rolled back, like a failed transaction, and nothing is published.
        """
        self.database._check_outage()  # noqa: SLF001 - the database's own switch
        members = list(self._members.values())
        for member in members:
            member._flush()  # noqa: SLF001 - the session's own repositories
        try:
            publish_together([member._rows for member in members])  # noqa: SLF001
        except ConflictError:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Discard every uncommitted write of every repository of the session."""
        self.database._check_outage()  # noqa: SLF001
        for member in self._members.values():
            member._discard(forget=False)  # noqa: SLF001

    def close(self) -> None:
        """Roll back and forget every object of every repository; reusable after."""
        self.database._check_outage()  # noqa: SLF001
        for member in self._members.values():
            member._forget_all()  # noqa: SLF001
