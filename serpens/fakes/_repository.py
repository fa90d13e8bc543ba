"""In-memory Repository fake for SQLAlchemy-mapped classes, with the adapter's semantics.

The committed store (:class:`InMemoryDatabase`) holds row dicts, never caller objects.
Each repository is one unit of work with its own identity map, like a ``Session``:
reads of one key return one instance, ``upsert`` refreshes it, and mutating a returned
object changes nothing stored until :meth:`InMemoryRepository.flush`. Flushed writes stay
private to the unit of work until :meth:`InMemoryRepository.commit` publishes them all at
once; ``rollback``/``close`` discard them, as PostgreSQL does. Reads use indexes kept on
the committed rows (unique, ordered per ``order_by``, equality per filtered column). Keys, unique
constraints, ``CHECK`` constraints, foreign keys, nullability, Python-side
``default``/``onupdate`` and ``version_id_col`` are read from the model's metadata, and so
are server defaults of ``now()`` and of literals
(``server_default="new"``, ``text("0")``, ``sa.true()``); anything the fake cannot emulate
(another server expression, computed columns) raises ``ConfigurationError`` at
construction, so the fake never drifts silently. SQLAlchemy is imported lazily.

The port's methods are defined here, where the outage switch guards every public one
(:mod:`serpens.fakes._repository_outage`); the unit of work under them is
:mod:`serpens.fakes._repository_session`, the database
:mod:`serpens.fakes._repository_database`, the row rules
:mod:`serpens.fakes._repository_rows`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from serpens.errors import ConflictError
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_index import order_key
from serpens.fakes._repository_outage import RepositoryOutage
from serpens.fakes._repository_session import RepositorySession
from serpens.fakes._repository_unit import InMemorySession, flush_first, flush_or_fail, has_pending
from serpens.ports import CursorPage, OrderBy, Page

__all__ = ["AsyncInMemoryRepository", "InMemoryDatabase", "InMemoryRepository", "InMemorySession"]

T = TypeVar("T")


class InMemoryRepository(RepositoryOutage, RepositorySession[T]):
    """The Repository port over an :class:`InMemoryDatabase`, for unit tests.

    Subclass with ``model = X`` or pass the model. Every repository is its own unit of
    work (a session) on *database*: its flushed writes are visible to itself at once and
    to other repositories only after :meth:`commit`; :meth:`rollback` and :meth:`close`
    discard them, as PostgreSQL does with an uncommitted transaction. Opened with
    ``session=`` (an :class:`~serpens.fakes.InMemorySession`), it shares that unit of work
    with the session's other repositories instead: their writes commit together, and its
    ``commit``, ``rollback`` and ``close`` act on the whole session.
    """

    model: type[Any]
    database: InMemoryDatabase
    max_page_size: ClassVar[int | None] = None

    # -- reads ---------------------------------------------------------------------------
    @property
    def query(self) -> Any:
        """``select(model)``, for symmetry with the adapter (the fake cannot execute it)."""
        import sqlalchemy as sa  # noqa: PLC0415

        return sa.select(self.model)

    def get(self, ident: object) -> T | None:
        """Return the row with primary key *ident*, or ``None``."""
        key = self._info.ident(ident)
        held = self._identity.get(key)  # a Session's get: not an object of another class
        if held is not None and key not in self._expired:
            if self._failure.failed:  # else no statement: a Session's get begins nothing
                self._failure.check()
            return held if isinstance(held, self.model) else None
        self._failure.check()
        row = self._rows.get(key)
        own = row is not None and (self._kind is None or self._kind.sees(row[self._kind.key]))
        return self._load(row) if own else None  # type: ignore[arg-type]

    def get_or_raise(self, ident: object) -> T:
        """Return the row with key *ident*; raise ``NotFound`` ("<Model> id=<repr>")."""
        obj = self.get(ident)
        if obj is None:
            raise self._info.not_found(ident)
        return obj

    def get_by(self, **filters: object) -> T | None:
        """Return the first row by primary key matching *filters*, or ``None``.

        Filters naming a whole unique constraint are answered from its index.
        """
        checked = self._info.filters(filters, json_null=False)
        self._failure.check()
        found = self._rows.find_unique(checked)
        kind = self._kind
        if found is False:
            rows = self._rows.window(self._order(None), checked, limit=1, kind=kind)
            found = rows[0] if rows else None
        if found is None or found is True or (kind and not kind.sees(found[kind.key])):
            return None  # none, or a unique row of another class (single-table inheritance)
        return self._load(found)

    def exists(self, **filters: object) -> bool:
        """Whether any row matches."""
        return self.count(**filters) > 0

    def count(self, **filters: object) -> int:
        """Number of rows matching *filters*."""
        checked = self._info.filters(filters, json_null=False)
        self._failure.check()
        return self._rows.count(checked, self._kind)

    def list(
        self,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: object,
    ) -> Sequence[T]:
        """Rows matching *filters* in ``order_by`` order (primary key breaks ties)."""
        self._info.check_window(limit, offset)
        checked = self._info.filters(filters, json_null=False)
        self._failure.check()
        order = self._order(order_by)
        rows = self._rows.window(order, checked, offset=offset or 0, limit=limit, kind=self._kind)
        return self._load_many(rows)

    def paginate(self, *, page: int = 1, size: int = 20, order_by: OrderBy = None) -> Page[T]:
        """Page *page* of all rows with the true total."""
        self._info.check_page(page, size, self.max_page_size)
        order = self._order(order_by)
        self._failure.check()
        rows = self._rows.window(order, {}, offset=(page - 1) * size, limit=size, kind=self._kind)
        items = self._load_many(rows)
        return Page(items=items, total=self._rows.count({}, self._kind), page=page, size=size)

    def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """Keyset page: up to *limit* rows after cursor *after*."""
        self._info.check_limit(limit, self.max_page_size)
        terms = self._info.seek_terms(order_by)
        test = None
        if after is not None:
            test = self._rules.after(self._info.decode_cursor(after, terms), terms)
        self._failure.check()
        rows = self._rows.window(order_key(terms), {}, limit=limit + 1, after=test, kind=self._kind)
        items = self._load_many(rows[:limit])
        more = len(rows) > limit
        next_cursor = self._info.encode_cursor(terms, rows[limit - 1]) if more else None
        return CursorPage(items=items, next_cursor=next_cursor)

    # -- the unit of work ----------------------------------------------------------------
    def commit(self) -> None:
        """Flush, then publish this unit of work's writes to the database at once.

        The equivalent of ``session.commit()``: other repositories on the database see the
        writes from now on. A row another unit of work committed meanwhile with the same
        key, unique values or (with ``version_id_col``) a newer version raises
        ``ConflictError``; the unit of work is then rolled back, like a failed transaction.
        """
        if self._unit is not None:
            self._unit.commit()
            return
        self._failure.check()
        flush_or_fail(self, checked=False)  # a commit flushes unchecked
        try:
            self._rows.publish()
        except ConflictError:
            self.rollback()
            raise
        self._failure.begun = False

    def rollback(self) -> None:
        """Discard every uncommitted write, as ``session.rollback()`` does.

        Objects this unit of work inserted are forgotten; the others are refreshed from
        the committed rows and expired, as a ``Session`` expires them: the next read that
        returns one, or a flush writing it, loads its row as it is then (values set on it
        since the rollback are kept). With no transaction in progress (no statement or
        change since a commit) it passes through, as a ``Session``'s does.
        """
        if self._unit is not None:
            self._unit.rollback()
        else:
            self._discard(forget=False)

    def close(self) -> None:
        """Roll back and forget every object, as ``session.close()`` does; reusable after.

        The objects are detached with the values they hold (a change not flushed too), as
        the objects ``Session.close()`` expunges are.
        """
        if self._unit is not None:
            self._unit.close()
        else:
            self._forget_all()

    # -- writes --------------------------------------------------------------------------
    def add(self, obj: T, *, flush: bool = True) -> T:
        """Add *obj*; with ``flush`` write it now (all or nothing)."""
        tracked = self._tracked(obj)
        if not flush:
            self._failure.check()
            if not tracked:
                self._pending[id(obj)] = obj
            return obj
        flush_first(self)  # a failure there fails the unit of work; one of obj's does not
        if not tracked:
            self._flush([obj])
        return obj

    def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """Add all *objs* atomically; return them in input order with keys set.

        With ``flush=False`` they are only pending, as after ``add(obj, flush=False)``.
        """
        batch = builtins.list(objs)
        # an object given twice is one row, as in a Session (dict keeps the first's place)
        fresh = builtins.list({id(o): o for o in batch if not self._tracked(o)}.values())
        if not flush:
            self._failure.check()
            self._pending.update((id(obj), obj) for obj in fresh)
            return batch
        flush_first(self)
        self._flush(fresh)
        return batch

    def flush(self) -> None:
        """Write pending objects and changes; a stale version raises ``ConflictError``.

        A ``ConflictError`` here fails the unit of work, as a failed flush fails a
        ``Session``: its uncommitted writes are rolled back at once and every other call
        raises ``ConflictError`` until :meth:`rollback` or :meth:`close`.
        """
        if self._failure.failed and not has_pending(self):
            return  # a Session whose flush failed flushes nothing, and asks nothing, then
        self._failure.check()
        flush_or_fail(self)

    def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """Insert *values* or, on a conflict on *conflict_on*, update *update_fields*."""
        target, fields = self._info.upsert_args(values, conflict_on, update_fields)
        flush_first(self)
        row = dict(self._info.identified(values))  # single-table inheritance: its identity
        with self._rows.atomic():
            row = self._rules.upsert(self._rows, row, target, fields)
        return self._load(row, refresh=True)

    def upsert_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> int:
        """:meth:`upsert` every row atomically; return the number of input rows."""
        batch, target, fields = self._info.upsert_many_args(rows, conflict_on, update_fields)
        if not batch:
            return 0
        flush_first(self)
        with self._rows.atomic():
            for values in batch:
                self._rules.upsert(self._rows, values, target, fields)
        return len(batch)

    def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """Insert row dicts atomically without building objects; return the count."""
        batch = self._info.batch(rows)
        if not batch:
            return 0
        flush_first(self)
        with self._rows.atomic():
            for values in batch:
                self._rules.insert(self._rows, values, none_is_default=False)
        return len(batch)


class AsyncInMemoryRepository(RepositoryOutage, Generic[T]):
    """The ``AsyncRepository`` port over an :class:`InMemoryDatabase`; see the sync fake."""

    model: type[Any]

    def __init__(
        self,
        model: type[T] | None = None,
        *,
        database: InMemoryDatabase | None = None,
        session: InMemorySession | None = None,
    ) -> None:
        sync_model = model if model is not None else getattr(type(self), "model", None)
        self._sync_repo: InMemoryRepository[T] = InMemoryRepository(
            sync_model, database=database, session=session
        )
        self._sync_repo._loads_on_access = False  # noqa: SLF001 - AsyncSession: MissingGreenlet
        self.model = self._sync_repo.model
        self.database = self._sync_repo.database

    @property
    def query(self) -> Any:
        """``select(model)``, for symmetry with the adapter."""
        return self._sync_repo.query

    async def get(self, ident: object) -> T | None:
        """See :meth:`InMemoryRepository.get`."""
        return self._sync_repo.get(ident)

    async def get_or_raise(self, ident: object) -> T:
        """See :meth:`InMemoryRepository.get_or_raise`."""
        return self._sync_repo.get_or_raise(ident)

    async def get_by(self, **filters: object) -> T | None:
        """See :meth:`InMemoryRepository.get_by`."""
        return self._sync_repo.get_by(**filters)

    async def exists(self, **filters: object) -> bool:
        """See :meth:`InMemoryRepository.exists`."""
        return self._sync_repo.exists(**filters)

    async def count(self, **filters: object) -> int:
        """See :meth:`InMemoryRepository.count`."""
        return self._sync_repo.count(**filters)

    async def list(
        self,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: object,
    ) -> Sequence[T]:
        """See :meth:`InMemoryRepository.list`."""
        return self._sync_repo.list(order_by=order_by, limit=limit, offset=offset, **filters)

    async def paginate(self, *, page: int = 1, size: int = 20, order_by: OrderBy = None) -> Page[T]:
        """See :meth:`InMemoryRepository.paginate`."""
        return self._sync_repo.paginate(page=page, size=size, order_by=order_by)

    async def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """See :meth:`InMemoryRepository.seek`."""
        return self._sync_repo.seek(after=after, limit=limit, order_by=order_by)

    async def add(self, obj: T, *, flush: bool = True) -> T:
        """See :meth:`InMemoryRepository.add`."""
        return self._sync_repo.add(obj, flush=flush)

    async def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """See :meth:`InMemoryRepository.bulk_add`."""
        return self._sync_repo.bulk_add(objs, flush=flush)

    async def flush(self) -> None:
        """See :meth:`InMemoryRepository.flush`."""
        self._sync_repo.flush()

    async def commit(self) -> None:
        """See :meth:`InMemoryRepository.commit`."""
        self._sync_repo.commit()

    async def rollback(self) -> None:
        """See :meth:`InMemoryRepository.rollback`."""
        self._sync_repo.rollback()

    async def close(self) -> None:
        """See :meth:`InMemoryRepository.close`."""
        self._sync_repo.close()

    async def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """See :meth:`InMemoryRepository.upsert`."""
        return self._sync_repo.upsert(values, conflict_on=conflict_on, update_fields=update_fields)

    async def upsert_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> int:
        """See :meth:`InMemoryRepository.upsert_many`."""
        return self._sync_repo.upsert_many(
            rows, conflict_on=conflict_on, update_fields=update_fields
        )

    async def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """See :meth:`InMemoryRepository.bulk_insert`."""
        return self._sync_repo.bulk_insert(rows)
