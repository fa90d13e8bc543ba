"""In-memory Repository fake for SQLAlchemy-mapped classes, with the adapter's semantics.

The committed store (:class:`InMemoryDatabase`) holds row dicts, never caller objects.
Each repository is one unit of work with its own identity map, like a ``Session``:
reads of one key return one instance, ``upsert`` refreshes it, and mutating a returned
object changes nothing stored until :meth:`InMemoryRepository.flush`. Flushed writes stay
private to the unit of work until :meth:`InMemoryRepository.commit` publishes them all at
once; ``rollback``/``close`` discard them, as PostgreSQL does. Reads use indexes kept on
the committed rows (unique, ordered per ``order_by``, equality per filtered column). Keys, unique
constraints, nullability, Python-side ``default``/``onupdate`` and ``version_id_col`` are
read from the model's metadata, and so are server defaults of ``now()`` and of literals
(``server_default="new"``, ``text("0")``, ``sa.true()``); anything the fake cannot emulate
(another server expression, computed columns) raises ``ConfigurationError`` at
construction, so the fake never drifts silently. SQLAlchemy is imported lazily.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from serpens._rules.repository import ModelInfo, RawOrder, model_info
from serpens.errors import ConfigurationError, ConflictError, FieldError, ValidationError
from serpens.fakes._outage import OutageSwitch
from serpens.fakes._repository_index import OrderKey, order_key
from serpens.fakes._repository_outage import RepositoryOutage
from serpens.fakes._repository_rows import PLAIN_TYPES, RowRules, TableRows, copy_value
from serpens.fakes._repository_work import PendingRows
from serpens.ports import CursorPage, OrderBy, Page

__all__ = ["AsyncInMemoryRepository", "InMemoryDatabase", "InMemoryRepository"]

T = TypeVar("T")
Row = dict[str, object]


def _no_identity_map() -> None:
    """The ``_instance_dict`` of an object in no identity map (SQLAlchemy's default)."""


class InMemoryDatabase(OutageSwitch):
    """The committed rows of every table, shared by the repositories opened on it.

    The "database server" of the fake: each repository opened on it is one unit of work
    (a session) whose writes other repositories see only once it commits.

    Args:
        clock: returns the current time for ``server_default=func.now()`` columns
            (default: aware UTC now).
    """

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._tables: dict[object, TableRows] = {}
        self._rules: dict[type[Any], RowRules] = {}

    def table(self, table: object) -> TableRows:
        """The committed rows of *table* (a SQLAlchemy ``Table``), created empty on first use."""
        rows = self._tables.get(table)
        if rows is None:
            rows = self._tables[table] = TableRows()
        return rows

    def rules(self, info: ModelInfo) -> RowRules:
        """The (cached) row rules of one model on this database's clock."""
        rules = self._rules.get(info.model)
        if rules is None:
            rules = self._rules[info.model] = RowRules(info, self.clock)
        return rules


@functools.cache
def _instance_state() -> Callable[[object], Any]:
    """SQLAlchemy's ``instance_state``, imported once, on the first repository built."""
    from sqlalchemy.orm.attributes import instance_state  # noqa: PLC0415 - lazy SDK import

    return instance_state


class _Dirty:
    """Stands in for a ``Session``'s identity map in SQLAlchemy's dirty tracking.

    SQLAlchemy's attribute events add the state of every object changed after loading to
    ``_modified``, so a flush visits only changed objects instead of walking every loaded
    one (which made loading then adding n objects quadratic).
    """

    __slots__ = ("__weakref__", "_modified")

    def __init__(self) -> None:
        self._modified: set[Any] = set()

    def _fast_discard(self, state: object) -> None:
        """Called by SQLAlchemy when a tracked object is garbage collected."""
        self._modified.discard(state)


class InMemoryRepository(RepositoryOutage, Generic[T]):
    """The Repository port over an :class:`InMemoryDatabase`, for unit tests.

    Subclass with ``model = X`` or pass the model. Every repository is its own unit of
    work (a session) on *database*: its flushed writes are visible to itself at once and
    to other repositories only after :meth:`commit`; :meth:`rollback` and :meth:`close`
    discard them, as PostgreSQL does with an uncommitted transaction.
    """

    model: type[Any]
    max_page_size: ClassVar[int] = 1000

    def __init__(
        self, model: type[T] | None = None, *, database: InMemoryDatabase | None = None
    ) -> None:
        if model is not None and not isinstance(model, type):
            # InMemoryRepository(sess): code written for the adapter, a session passed in.
            raise ConfigurationError(
                f"{type(self).__name__} takes the model class (and database=), not a "
                f"{type(model).__name__}: the fake needs no session"
            )
        if database is not None and not isinstance(database, InMemoryDatabase):
            raise ConfigurationError(
                f"{type(self).__name__}(database=...) needs an InMemoryDatabase, "
                f"not a {type(database).__name__}"
            )
        if model is not None:
            self.model = model
        elif getattr(type(self), "model", None) is None:
            raise ConfigurationError(
                f"{type(self).__name__} needs a model: set `model = X` or pass model=X"
            )
        self.database = database or InMemoryDatabase()
        self._instance_state = _instance_state()
        self._info = model_info(self.model)
        self._new_instance = self._info.mapper.class_manager.new_instance
        self._pk = self._info.pk
        self._rules = self.database.rules(self._info)
        self._rows = PendingRows(self.database.table(self._info.table), self._info)
        # Strong, unlike a Session's weak identity map (which keeps only referenced or
        # modified objects): the fake never forgets an object, so a test holding no
        # reference may see an older state here than on a real session.
        self._identity: dict[tuple[object, ...], T] = {}
        self._keys: dict[Any, tuple[object, ...]] = {}  # InstanceState -> key
        self._snapshot: dict[tuple[object, ...], Row] = {}
        self._pending: dict[int, T] = {}  # id() -> object added without flush
        self._dirty = _Dirty()
        self._dirty_ref = weakref.ref(self._dirty)

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
        # SQLAlchemy flags attribute sets on any instance and reports the first one to
        # the state's identity map: ours, so the next flush visits it.
        state = self._instance_state(obj)
        state.modified = False
        state.committed_state.clear()
        state._instance_dict = self._dirty_ref  # noqa: SLF001 - SQLAlchemy's dirty hook
        self._dirty._modified.discard(state)  # noqa: SLF001
        self._identity[ident] = obj
        self._keys[state] = ident
        return obj

    def _tracked(self, obj: T) -> bool:
        values = obj.__dict__
        pk = self._info.pk
        key = (values.get(pk[0]),) if len(pk) == 1 else tuple(values.get(k) for k in pk)
        return self._identity.get(key) is obj or id(obj) in self._pending

    def _load(self, row: Row, *, refresh: bool = False) -> T:
        pk = self._pk
        ident = (row[pk[0]],) if len(pk) == 1 else tuple(row[k] for k in pk)
        existing = self._identity.get(ident)
        if existing is not None:
            return self._sync(existing, row, refresh=True) if refresh else existing
        # A new instance, as SQLAlchemy's loading builds one: values straight into the
        # instance dict (immutable ones shared, others copied), a fresh unmodified state.
        obj: T = self._new_instance()
        if self._rules.mutable_values:
            obj.__dict__.update(
                {k: v if type(v) in PLAIN_TYPES else copy_value(v) for k, v in row.items()}
            )
        else:
            obj.__dict__.update(row)
        state = self._instance_state(obj)
        state._instance_dict = self._dirty_ref  # noqa: SLF001 - SQLAlchemy's dirty hook
        self._snapshot[ident] = row
        self._identity[ident] = obj
        self._keys[state] = ident
        return obj

    def _load_many(self, rows: Sequence[Row]) -> builtins.list[T]:
        """:meth:`_load` for a window of rows: the same steps, with the lookups hoisted.

        Listing is bound by building instances (SQLAlchemy's ``new_instance`` is about
        half of it), so the per-row work around it stays minimal here.
        """
        identity, snapshot, keys = self._identity, self._snapshot, self._keys
        manager = self._info.mapper.class_manager
        cls = manager.class_
        make_state = manager._state_constructor  # noqa: SLF001 - what new_instance() calls
        set_state = manager._state_setter  # noqa: SLF001
        dirty_ref = self._dirty_ref
        pk = self._pk
        single = pk[0] if len(pk) == 1 else None
        share = not self._rules.mutable_values
        out: builtins.list[T] = []
        for row in rows:
            ident = (row[single],) if single is not None else tuple(row[k] for k in pk)
            obj = identity.get(ident)
            if obj is None:
                obj = cls.__new__(cls)
                state = make_state(obj, manager)
                set_state(obj, state)
                if share:
                    obj.__dict__.update(row)
                else:
                    obj.__dict__.update(
                        {k: v if type(v) in PLAIN_TYPES else copy_value(v) for k, v in row.items()}
                    )
                state._instance_dict = dirty_ref  # noqa: SLF001 - SQLAlchemy's dirty hook
                snapshot[ident] = row
                identity[ident] = obj
                keys[state] = ident
            out.append(obj)
        return out

    def _order(self, order_by: object) -> OrderKey:
        terms = self._info.order(order_by)
        if any(isinstance(t, RawOrder) for t in terms):
            raise ValidationError(
                f"the in-memory repository of {self._info.name} orders by mapped columns only",
                [FieldError("order_by", "SQL expressions need a SQL backend")],
            )
        return order_key(terms, self._rules.ranks)

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
        row = self._rows.get(key)
        return None if row is None else self._load(row)

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
        checked = self._info.filters(filters)
        found = self._rows.find_unique(checked)
        if found is False:
            rows = self._rows.window(self._order(None), checked, limit=1)
            found = rows[0] if rows else None
        return None if found is None or found is True else self._load(found)

    def exists(self, **filters: object) -> bool:
        """Whether any row matches."""
        return self.count(**filters) > 0

    def count(self, **filters: object) -> int:
        """Number of rows matching *filters*."""
        return self._rows.count(self._info.filters(filters))

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
        checked = self._info.filters(filters)
        rows = self._rows.window(self._order(order_by), checked, offset=offset or 0, limit=limit)
        return self._load_many(rows)

    def paginate(self, *, page: int = 1, size: int = 20, order_by: OrderBy = None) -> Page[T]:
        """Page *page* of all rows with the true total."""
        self._info.check_page(page, size, self.max_page_size)
        order = self._order(order_by)
        rows = self._rows.window(order, {}, offset=(page - 1) * size, limit=size)
        items = self._load_many(rows)
        return Page(items=items, total=self._rows.count({}), page=page, size=size)

    def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """Keyset page: up to *limit* rows after cursor *after*."""
        self._info.check_limit(limit, self.max_page_size)
        terms = self._info.seek_terms(order_by)
        test = None
        if after is not None:
            cursor = self._info.decode_cursor(after, terms)
            rules = self._rules
            test = lambda r: rules.after(r, cursor, terms)  # noqa: E731 - a one-line predicate
        rows = self._rows.window(order_key(terms), {}, limit=limit + 1, after=test)
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
        self._flush()
        try:
            self._rows.publish()
        except ConflictError:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Discard every uncommitted write, as ``session.rollback()`` does.

        Objects this unit of work inserted are forgotten; the others are refreshed from
        the committed rows (a ``Session`` expires them and reloads on access).
        """
        self._discard(forget=False)

    def close(self) -> None:
        """Roll back and forget every object, as ``session.close()`` does; reusable after."""
        self._discard(forget=True)
        self._identity.clear()
        self._keys.clear()
        self._snapshot.clear()

    def _discard(self, *, forget: bool) -> None:
        """:meth:`rollback`, in one pass over the objects; *forget* detaches every one."""
        self._rows.discard()
        self._pending.clear()
        changed = self._dirty._modified  # noqa: SLF001 - changed but not flushed
        stored = self._rows.base.rows
        snapshot = self._snapshot
        state_of = self._instance_state
        for key, obj in builtins.list(self._identity.items()):
            row = stored.get(key)
            state = state_of(obj)
            if row is None:
                state._instance_dict = _no_identity_map  # noqa: SLF001
                self._keys.pop(state, None)
                del self._identity[key], snapshot[key]
                continue
            if snapshot[key] is not row or state in changed:
                self._sync(obj, row, refresh=True)
            if forget:
                state._instance_dict = _no_identity_map  # noqa: SLF001
        changed.clear()

    # -- writes --------------------------------------------------------------------------
    def _flush(self, extra: Sequence[T] = ()) -> None:
        """Write pending objects and dirty loaded objects atomically (all or nothing)."""
        work = self._rows
        new = [*self._pending.values(), *extra]
        updates: builtins.list[tuple[T, Row]] = []
        dirty = self._dirty._modified  # noqa: SLF001 - states changed since loading
        with work.atomic():
            for instance in builtins.list(dirty):
                key = self._keys.get(instance)
                held = None if key is None else self._identity.get(key)
                if key is None or held is None or held is not instance.obj():
                    dirty.discard(instance)  # no longer ours
                    continue
                obj = held
                before = self._snapshot[key]
                state = self._state(obj)
                # every attribute, as the SQL adapter checks every object a flush visits:
                # the update below writes only values unequal to the row (True == 1 is not)
                self._rules.info.check_row(state)
                if state != before:
                    updates.append((obj, self._rules.update(work, before, state)))
            inserted = [
                (obj, self._rules.insert(work, self._state(obj), none_is_default=True))
                for obj in new
            ]
        dirty.clear()
        self._pending.clear()
        for obj, row in updates:
            self._sync(obj, row, refresh=True)
        for obj, row in inserted:
            current = obj.__dict__  # instrumented attributes keep their values here
            for name, value in row.items():
                if current.get(name) is None:  # generated values, as a flush sets them
                    current[name] = value if type(value) in PLAIN_TYPES else copy_value(value)
            self._sync(obj, row, refresh=False)

    def add(self, obj: T, *, flush: bool = True) -> T:
        """Add *obj*; with ``flush`` write it now (all or nothing)."""
        tracked = self._tracked(obj)
        if not flush:
            if not tracked:
                self._pending[id(obj)] = obj
            return obj
        self._flush(() if tracked else [obj])
        return obj

    def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """Add all *objs* atomically; return them in input order with keys set.

        With ``flush=False`` they are only pending, as after ``add(obj, flush=False)``.
        """
        batch = builtins.list(objs)
        fresh = [o for o in batch if not self._tracked(o)]
        if not flush:
            self._pending.update((id(obj), obj) for obj in fresh)
            return batch
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
