"""In-memory Repository fake for SQLAlchemy-mapped classes, with the adapter's semantics.

The committed store (:class:`InMemoryDatabase`) holds row dicts, never caller objects.
Each repository is one unit of work with its own identity map, like a ``Session``:
reads of one key return one instance, ``upsert`` refreshes it, and mutating a returned
object changes nothing stored until :meth:`InMemoryRepository.flush`. Keys, unique
constraints, nullability, Python-side ``default``/``onupdate`` and ``version_id_col`` are
read from the model's metadata; anything the fake cannot emulate (a server default other
than ``now()``, computed columns) raises ``ConfigurationError`` at construction, so the
fake never drifts silently. SQLAlchemy is imported lazily.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from serpens._fake_rows import PLAIN_TYPES, RowRules, TableRows, copy_value, sort_rows
from serpens._mapped import OrderTerm, RawOrder, model_info
from serpens.errors import ConfigurationError, FieldError, ValidationError
from serpens.fakes._outage import OutageSwitch
from serpens.fakes._repository_outage import RepositoryOutage
from serpens.ports import CursorPage, OrderBy, Page

__all__ = ["AsyncInMemoryRepository", "InMemoryDatabase", "InMemoryRepository"]

T = TypeVar("T")
Row = dict[str, object]


class InMemoryDatabase(OutageSwitch):
    """The committed rows of every table, shared by the repositories opened on it.

    Args:
        clock: returns the current time for ``server_default=func.now()`` columns
            (default: aware UTC now).
    """

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._tables: dict[object, TableRows] = {}

    def table(self, table: object) -> TableRows:
        """The rows of *table* (a SQLAlchemy ``Table``), created empty on first use."""
        rows = self._tables.get(table)
        if rows is None:
            rows = self._tables[table] = TableRows()
        return rows


class InMemoryRepository(RepositoryOutage, Generic[T]):
    """The Repository port over an :class:`InMemoryDatabase`, for unit tests.

    Subclass with ``model = X`` or pass the model. Every repository is its own unit of
    work (identity map) on *database*; repositories sharing a database see each other's
    flushed rows at once (there is no transaction isolation to emulate).
    """

    model: type[Any]
    max_page_size: ClassVar[int] = 1000

    def __init__(
        self, model: type[T] | None = None, *, database: InMemoryDatabase | None = None
    ) -> None:
        if model is not None:
            self.model = model
        elif getattr(type(self), "model", None) is None:
            raise ConfigurationError(
                f"{type(self).__name__} needs a model: set `model = X` or pass model=X"
            )
        self.database = database or InMemoryDatabase()
        from sqlalchemy.orm.attributes import instance_state  # noqa: PLC0415 - lazy SDK import

        self._instance_state = instance_state
        self._info = model_info(self.model)
        self._rules = RowRules(self._info, self.database.clock)
        self._rows = self.database.table(self._info.table)
        # Strong, unlike a Session's weak identity map (which keeps only referenced or
        # modified objects): the fake never forgets an object, so a test holding no
        # reference may see an older state here than on a real session.
        self._identity: dict[tuple[object, ...], T] = {}
        self._states: dict[tuple[object, ...], Any] = {}  # their InstanceStates, same keys
        self._snapshot: dict[tuple[object, ...], Row] = {}
        self._pending: builtins.list[T] = []

    # -- identity ------------------------------------------------------------------------
    def _state(self, obj: T) -> Row:
        values = obj.__dict__  # instrumented attributes keep their values here
        return {k: values.get(k) for k in self._info.columns}

    def _sync(self, obj: T, row: Row, *, refresh: bool) -> T:
        if refresh:
            # Straight into the instance dict, as SQLAlchemy's own loading does: loading a
            # row fires no attribute events.
            current = obj.__dict__
            for key, value in row.items():
                copied = value if type(value) in PLAIN_TYPES else copy_value(value)
                if key not in current or current[key] != copied:
                    current[key] = copied
        ident = self._rules.pk(row)
        # The object now equals *row* column by column (written back, or the input the row
        # was built from), so the row serves as the snapshot dirty checks compare against.
        # *row* is the stored row itself: stored rows are replaced, never changed in place,
        # and their mutable values are never handed out (objects get copies), so sharing
        # it is safe and saves a copy per write and load.
        self._snapshot[ident] = row
        # SQLAlchemy flags attribute sets on any instance; the flag marks flush candidates.
        state = self._instance_state(obj)
        state.modified = False
        state.committed_state.clear()
        self._identity[ident] = obj
        self._states[ident] = state
        return obj

    def _tracked(self, obj: T) -> bool:
        values = obj.__dict__
        pk = self._info.pk
        key = (values.get(pk[0]),) if len(pk) == 1 else tuple(values.get(k) for k in pk)
        return self._identity.get(key) is obj or any(o is obj for o in self._pending)

    def _load(self, row: Row, *, refresh: bool = False) -> T:
        existing = self._identity.get(self._rules.pk(row))
        if existing is not None:
            return self._sync(existing, row, refresh=True) if refresh else existing
        obj: T = self._info.mapper.class_manager.new_instance()
        return self._sync(obj, row, refresh=True)

    def _select(self, filters: Mapping[str, object], order_by: object = None) -> builtins.list[Row]:
        checked = self._info.filters(filters)
        rows = [
            r
            for r in self._rows.rows.values()
            if all(r[k] is None if v is None else r[k] == v for k, v in checked.items())
        ]
        terms = self._info.order(order_by)
        if any(isinstance(t, RawOrder) for t in terms):
            raise ValidationError(
                f"the in-memory repository of {self._info.name} orders by mapped columns only",
                [FieldError("order_by", "SQL expressions need a SQL backend")],
            )
        return sort_rows(rows, [t for t in terms if isinstance(t, OrderTerm)])

    # -- reads ---------------------------------------------------------------------------
    @property
    def query(self) -> Any:
        """``select(model)``, for symmetry with the adapter (the fake cannot execute it)."""
        import sqlalchemy as sa  # noqa: PLC0415

        return sa.select(self.model)

    def get(self, ident: object) -> T | None:
        """Return the row with primary key *ident*, or ``None``."""
        key = self._info.ident(ident)
        if key in self._identity:
            return self._identity[key]
        row = self._rows.rows.get(key)
        return None if row is None else self._load(row)

    def get_or_raise(self, ident: object) -> T:
        """Return the row with key *ident*; raise ``NotFound`` ("<Model> id=<repr>")."""
        obj = self.get(ident)
        if obj is None:
            raise self._info.not_found(ident)
        return obj

    def get_by(self, **filters: object) -> T | None:
        """Return the first row by primary key matching *filters*, or ``None``."""
        rows = self._select(filters)
        return self._load(rows[0]) if rows else None

    def exists(self, **filters: object) -> bool:
        """Whether any row matches."""
        return self.count(**filters) > 0

    def count(self, **filters: object) -> int:
        """Number of rows matching *filters*."""
        return len(self._select(filters))

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
        rows = self._select(filters, order_by)[offset or 0 :]
        return [self._load(r) for r in (rows if limit is None else rows[:limit])]

    def paginate(self, *, page: int = 1, size: int = 50, order_by: OrderBy = None) -> Page[T]:
        """Page *page* of all rows with the true total."""
        self._info.check_page(page, size, self.max_page_size)
        rows = self._select({}, order_by)
        start = (page - 1) * size
        items = [self._load(r) for r in rows[start : start + size]]
        return Page(items=items, total=len(rows), page=page, size=size)

    def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """Keyset page: up to *limit* rows after cursor *after*."""
        self._info.check_page(1, limit, self.max_page_size)
        terms = self._info.seek_terms(order_by)
        rows = sort_rows(builtins.list(self._rows.rows.values()), terms)
        if after is not None:
            cursor = self._info.decode_cursor(after, terms)
            rows = [r for r in rows if self._rules.after(r, cursor, terms)]
        items = [self._load(r) for r in rows[:limit]]
        more = len(rows) > limit
        next_cursor = self._info.encode_cursor(terms, rows[limit - 1]) if more else None
        return CursorPage(items=items, next_cursor=next_cursor)

    # -- writes --------------------------------------------------------------------------
    def _flush(self, extra: Sequence[T] = ()) -> None:
        """Write pending objects and dirty loaded objects atomically (all or nothing)."""
        work = self._rows
        new = [*self._pending, *extra]
        updates: builtins.list[tuple[T, Row]] = []
        with work.atomic():
            for key, instance in self._states.items():
                if not instance.modified:
                    continue
                obj = self._identity[key]
                before = self._snapshot[key]
                state = self._state(obj)
                if state != before:
                    updates.append((obj, self._rules.update(work, before, state)))
            inserted = [
                (obj, self._rules.insert(work, self._state(obj), none_is_default=True))
                for obj in new
            ]
        self._pending.clear()
        for obj, row in updates:
            self._sync(obj, row, refresh=True)
        for obj, row in inserted:
            current = obj.__dict__  # instrumented attributes keep their values here
            for name, value in row.items():
                if current.get(name) is None:
                    current[name] = copy_value(value)  # generated values, as a flush sets them
            self._sync(obj, row, refresh=False)

    def add(self, obj: T, *, flush: bool = True) -> T:
        """Add *obj*; with ``flush`` write it now (all or nothing)."""
        tracked = self._tracked(obj)
        if not flush:
            if not tracked:
                self._pending.append(obj)
            return obj
        self._flush(() if tracked else [obj])
        return obj

    def bulk_add(self, objs: Iterable[T]) -> builtins.list[T]:
        """Add all *objs* atomically; return them in input order with keys set."""
        batch = builtins.list(objs)
        fresh = [o for o in batch if not self._tracked(o)]
        self._flush(fresh)
        return batch

    def flush(self) -> None:
        """Write pending objects and changes; a stale version raises ``ConflictError``."""
        self._flush()

    def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """Insert *values* or, on a conflict on *conflict_on*, update *update_fields*."""
        target, fields = self._info.upsert_args(values, conflict_on, update_fields)
        with self._rows.atomic():
            row = self._rules.upsert(self._rows, dict(values), target, fields)
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
        with self._rows.atomic():
            for values in batch:
                self._rules.upsert(self._rows, values, target, fields)
        return len(batch)

    def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """Insert row dicts atomically without building objects; return the count."""
        batch = self._info.batch(rows)
        with self._rows.atomic():
            for values in batch:
                self._rules.insert(self._rows, values, none_is_default=False)
        return len(batch)


class AsyncInMemoryRepository(RepositoryOutage, Generic[T]):
    """The ``AsyncRepository`` port over an :class:`InMemoryDatabase`; see the sync fake."""

    model: type[Any]

    def __init__(
        self, model: type[T] | None = None, *, database: InMemoryDatabase | None = None
    ) -> None:
        sync_model = model if model is not None else getattr(type(self), "model", None)
        self._sync_repo: InMemoryRepository[T] = InMemoryRepository(sync_model, database=database)
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

    async def paginate(self, *, page: int = 1, size: int = 50, order_by: OrderBy = None) -> Page[T]:
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

    async def bulk_add(self, objs: Iterable[T]) -> builtins.list[T]:
        """See :meth:`InMemoryRepository.bulk_add`."""
        return self._sync_repo.bulk_add(objs)

    async def flush(self) -> None:
        """See :meth:`InMemoryRepository.flush`."""
        self._sync_repo.flush()

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
