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

from serpens.errors import ConfigurationError, ConflictError, ValidationError
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_relations import follow
from serpens.fakes._repository_work import PendingRows

__all__ = [
    "FlushFailure",
    "InMemorySession",
    "database_for",
    "flush_first",
    "flush_or_fail",
    "has_pending",
    "publish_together",
]


class FlushFailure:
    """Whether a unit of work's flush failed: it must be rolled back before any other call.

    A ``Session`` whose flush fails (a duplicate, a stale version, a missing reference)
    rolls its transaction back and refuses every call but ``rollback()`` and ``close()``
    until then, and the SQL adapters raise ``ConflictError`` for such a call. The
    repositories of one :class:`InMemorySession` share one, as they share the ``Session``.
    """

    __slots__ = ("begun", "failed")

    def __init__(self) -> None:
        self.failed = False
        self.begun = False
        """Whether the unit of work's transaction is in progress, as a ``Session`` begins one
        at its first statement (or change of an object) after a commit, rollback or close:
        a rollback without one is a pass-through, which expires nothing (the async fake's
        objects stay loaded, :mod:`serpens.fakes._repository_unloaded`)."""

    def check(self) -> None:
        """Raise ``ConflictError`` if a flush failed since the last rollback or close.

        Called by every call a ``Session`` runs a statement for, it begins the transaction.
        """
        if self.failed:
            raise ConflictError(
                "the unit of work must be rolled back before it is used again: a flush in it failed"
            )
        self.begun = True


class _Member(Protocol):
    """What the session needs of a repository's unit-of-work state."""

    model: type[Any]
    _rows: PendingRows
    _dirty: Any

    def _flush(self) -> None: ...
    def _check_changed(self) -> None: ...
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
        self.failure = FlushFailure()
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

    def members(self) -> list[Any]:
        """The unit-of-work state of each model a repository opened in this session."""
        return list(self._members.values())

    def join(self, member: _Member, family: type[Any] | None = None) -> None:
        """Keep *member*, the first repository of its model (hierarchy) in this session."""
        self._members[member.model if family is None else family] = member

    def commit(self) -> None:
        """Flush every repository of the session, then publish all their writes at once.

        ``ConflictError`` as one repository's ``commit()`` raises it (a key or unique
        value another unit of work committed meanwhile, a stale version): the whole
        session is then rolled back, like a failed transaction, and nothing is published.
        """
        self.database._check_outage()  # noqa: SLF001 - the database's own switch
        self.failure.check()
        members = list(self._members.values())
        if members:
            flush_or_fail(members[0], checked=False)  # one member's flush flushes them all
        try:
            publish_together([member._rows for member in members])  # noqa: SLF001
        except ConflictError:
            self.rollback()
            raise
        self.failure.begun = False

    def rollback(self) -> None:
        """Discard every uncommitted write of every repository of the session."""
        self.database._check_outage()  # noqa: SLF001
        failure = self.failure  # in progress, for every member (each one's discard ends it)
        begun = failure.begun or any(m._dirty._modified for m in self._members.values())  # noqa: SLF001
        for member in self._members.values():
            failure.begun = begun
            member._discard(forget=False)  # noqa: SLF001

    def close(self) -> None:
        """Roll back and forget every object of every repository; reusable after."""
        self.database._check_outage()  # noqa: SLF001
        for member in self._members.values():
            member._forget_all()  # noqa: SLF001


def database_for(database: object, session: object, owner: str) -> InMemoryDatabase:
    """The database repository class *owner* works on: *database*, *session*'s, or a new one."""
    if session is not None:
        if not isinstance(session, InMemorySession):
            raise ConfigurationError(
                f"{owner}(session=...) needs an InMemorySession, not a {type(session).__name__}"
            )
        if database is not None and database is not session.database:
            raise ConfigurationError(f"{owner}: database= and session= name different databases")
        return session.database
    if database is not None and not isinstance(database, InMemoryDatabase):
        raise ConfigurationError(
            f"{owner}(database=...) needs an InMemoryDatabase, not a {type(database).__name__}"
        )
    return database or InMemoryDatabase()


def flush_or_fail(repo: Any, *, checked: bool = True) -> None:
    """Flush every model of *repo*'s unit of work; a failure there fails it, as in SQL.

    A ``Session`` whose flush fails (a duplicate, a missing reference, a ``CHECK`` or NOT
    NULL constraint) rolls its transaction back at once (what was flushed before goes,
    objects added since are forgotten) and refuses every call until ``rollback()`` or
    ``close()``: :class:`FlushFailure` holds that. When *checked*, the values the SQL
    adapters check before they flush (a wrong type, a string over its length) are checked
    first, every model's, and a refusal there leaves the unit of work as it was; a
    ``Session``'s commit flushes unchecked.
    """
    unit: InMemorySession | None = repo._unit  # noqa: SLF001 - the fake's own state
    plan = follow(repo)  # relationships: refused, or new related objects made pending
    members = [repo] if unit is None else unit.members()
    if checked:
        for member in members:
            member._check_changed()  # noqa: SLF001
    try:
        for member in members if plan is None else plan.order(members):
            if plan is not None:
                plan.sync(member)  # foreign keys from the objects written before
            member._flush()  # noqa: SLF001
    except (ConflictError, ValidationError):
        repo.rollback()  # the repository's own: the whole session's, when it shares one
        repo._failure.failed = True  # noqa: SLF001
        raise


def flush_first(repo: Any) -> None:
    """Before a write: refuse it in a failed unit of work, then flush what is pending.

    As the savepoint a ``Session`` opens for the write flushes it first: every model's, in
    a shared session. A failure there is a failed flush of the unit of work
    (:func:`flush_or_fail`), where a failure of the write's own row is not.
    """
    repo._failure.check()  # noqa: SLF001
    if has_pending(repo):
        flush_or_fail(repo)


def has_pending(repo: Any) -> bool:
    """Whether *repo*'s unit of work holds objects added or changed and not flushed."""
    unit: InMemorySession | None = repo._unit  # noqa: SLF001 - the fake's own state
    members = [repo] if unit is None else unit.members()
    return any(m._pending or m._dirty._modified for m in members)  # noqa: SLF001
