"""The unit of work under the in-memory repository: its state, identity map and flush.

:class:`RepositorySession` is the private half of :class:`~serpens.fakes.InMemoryRepository`,
what a ``Session`` does for the SQL adapter: one instance per key (the identity map), a flush
of the changed objects only, all or nothing, discarded on rollback. The port's methods stay
on the repository (``serpens.fakes._repository``), whose outage switch guards each of them.
"""

from __future__ import annotations

import builtins
import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from serpens._rules.repository import ModelInfo, RawOrder, model_info
from serpens.errors import ConfigurationError, ConflictError, FieldError, ValidationError
from serpens.fakes._repository_cascade import write_new
from serpens.fakes._repository_database import InMemoryDatabase
from serpens.fakes._repository_dirty import Dirty, no_identity_map
from serpens.fakes._repository_index import OrderKey, order_key
from serpens.fakes._repository_loading import load_many
from serpens.fakes._repository_opening import opening
from serpens.fakes._repository_rows import PLAIN_TYPES, RowRules, copy_value
from serpens.fakes._repository_unit import FlushFailure, InMemorySession, database_for
from serpens.fakes._repository_unloaded import expire_all, loaded
from serpens.fakes._repository_work import PendingRows

__all__ = ["RepositorySession"]

T = TypeVar("T")
Row = dict[str, object]


_STATE = (
    "_rows",
    "_identity",
    "_keys",
    "_snapshot",
    "_pending",
    "_dirty",
    "_dirty_ref",
    "_expired",
)
"""The unit-of-work state two repositories of one model in one session share."""


class RepositorySession(Generic[T]):
    """One unit of work of :class:`~serpens.fakes.InMemoryRepository` (see the module).

    Its ``__init__`` checks the model and the database and opens the unit of work; its
    methods are private, called by the repository's port methods.
    """

    model: type[Any]
    database: InMemoryDatabase
    # set from the model's Opening (serpens.fakes._repository_opening), in one step
    _instance_state: Callable[[object], Any]
    _info: ModelInfo
    _manager: Any  # the model's ClassManager
    _pk: tuple[str, ...]
    _rules: RowRules
    _kind: Any  # the subclass's Inheritance in a single-table hierarchy, else None
    _managers: dict[object, Any] | None
    _view: Callable[[type[Any], Row], Row] | None
    _loads_on_access = True  # False for the async fake (:mod:`._repository_unloaded`)

    def __init__(
        self,
        model: type[T] | None = None,
        *,
        database: InMemoryDatabase | None = None,
        session: InMemorySession | None = None,
    ) -> None:
        if model is not None and not isinstance(model, type):
            # InMemoryRepository(sess): code written for the adapter, a session passed in.
            raise ConfigurationError(
                f"{type(self).__name__} takes the model class (and database= or session=), "
                f"not a {type(model).__name__}: the fake needs no SQLAlchemy session"
            )
        if model is not None:
            self.model = model
        elif getattr(type(self), "model", None) is None:
            raise ConfigurationError(
                f"{type(self).__name__} needs a model: set `model = X` or pass model=X"
            )
        fixed = opening(database_for(database, session, type(self).__name__), self.model)
        self.database, self._instance_state, self._info, self._manager = fixed.head
        self._pk, self._rules, self._kind, self._managers, self._view = fixed.tail
        self._unit = session
        self._failure = FlushFailure() if session is None else session.failure
        shared = None if session is None else session.member(fixed.base_model)
        if shared is not None:  # one state per model in a session, as in one Session
            for name in _STATE:
                setattr(self, name, getattr(shared, name))
            return
        self._rows = PendingRows(fixed.table, fixed.base_info, fixed.base_uniques)
        # Strong, unlike a Session's weak identity map: the fake never forgets an object, so
        # a test holding no reference may see an older state here than on a real session.
        self._identity: dict[tuple[object, ...], T] = {}
        self._keys: dict[Any, tuple[object, ...]] = {}  # InstanceState -> key
        self._snapshot: dict[tuple[object, ...], Row] = {}
        self._pending: dict[int, T] = {}  # id() -> object added without flush
        self._dirty = Dirty()
        self._dirty_ref = weakref.ref(self._dirty)
        # Keys of the objects a rollback expired, as a Session's rollback expires every
        # object: the next read of each loads what it has not been set since (below).
        self._expired: set[tuple[object, ...]] = set()
        if session is not None:
            session.join(self, fixed.base_model)

    # -- identity ------------------------------------------------------------------------
    def _columns(self, obj: T) -> Any:
        """The column keys *obj* holds: its own class's, in a hierarchy of several."""
        return self._info.columns if self._view is None else model_info(type(obj)).columns

    def _state(self, obj: T) -> Row:
        values = obj.__dict__  # instrumented attributes keep their values here
        columns = self._info.columns if self._view is None else self._columns(obj)
        return {k: values.get(k) for k in columns}

    def _sync(self, obj: T, row: Row, *, refresh: bool) -> T:
        if self._view is not None:  # its class's columns only, as a Session loads them
            row = self._view(type(obj), row)
        if refresh:
            # Straight into the instance dict, as SQLAlchemy's own loading does: loading a
            # row fires no attribute events.
            current = obj.__dict__
            for key, value in row.items():
                copied = value if type(value) in PLAIN_TYPES else copy_value(value)
                if key not in current or current[key] != copied:
                    current[key] = copied
            loaded(self._instance_state(obj))  # an async repository's: its values are back
        ident = self._rules.pk(row)
        if self._expired:
            self._expired.discard(ident)  # loaded whole, or written (a flush loads it first)
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

    def _shown(self, obj: T, row: Row) -> Row:
        """*row* as *obj* holds it (:func:`~._repository_hierarchy.row_view`)."""
        return row if self._view is None else self._view(type(obj), row)

    def _tracked(self, obj: T) -> bool:
        values = obj.__dict__
        pk = self._info.pk
        key = (values.get(pk[0]),) if len(pk) == 1 else tuple(values.get(k) for k in pk)
        if self._identity.get(key) is obj or id(obj) in self._pending:
            return True
        # an expired object of an async repository holds no key now: known by its state
        if not self._expired or pk[0] in values:
            return False
        held = self._keys.get(self._instance_state(obj))
        return held is not None and self._identity.get(held) is obj

    def _load(self, row: Row, *, refresh: bool = False) -> T:
        pk = self._pk
        ident = (row[pk[0]],) if len(pk) == 1 else tuple(row[k] for k in pk)
        existing = self._identity.get(ident)
        if existing is not None:
            if refresh:
                return self._sync(existing, row, refresh=True)
            if self._view is None:  # else the columns it loads depend on the class (below)
                return self._reload(ident, existing, row) if ident in self._expired else existing
        if self._managers is not None:  # single-table inheritance: the row's own class
            return self._load_many((row,))[0]
        manager = self._manager  # a new instance, as the manager's new_instance() builds one
        obj: T = manager.class_.__new__(manager.class_)
        state = manager._state_constructor(obj, manager)  # noqa: SLF001
        manager._state_setter(obj, state)  # noqa: SLF001
        if self._rules.mutable[0]:
            obj.__dict__.update(
                {k: v if type(v) in PLAIN_TYPES else copy_value(v) for k, v in row.items()}
            )
        else:
            obj.__dict__.update(row)
        state._instance_dict = self._dirty_ref  # noqa: SLF001 - SQLAlchemy's dirty hook
        self._snapshot[ident] = row
        self._identity[ident] = obj
        self._keys[state] = ident
        return obj

    def _reload(self, ident: tuple[object, ...], obj: T, row: Row) -> T:
        """An expired object read again, as a ``Session`` loads one (a read, ``get``, a flush)."""
        # what was not set since the rollback takes the row's values; the rest is flushed
        self._expired.discard(ident)
        row = self._shown(obj, row)
        state = self._instance_state(obj)
        assigned = state.committed_state
        current = obj.__dict__
        for key, value in row.items():
            if key not in assigned:
                copied = value if type(value) in PLAIN_TYPES else copy_value(value)
                if key not in current or current[key] != copied:
                    current[key] = copied
        loaded(state)  # an async repository's: its values are back
        self._snapshot[ident] = row
        return obj

    def _load_many(self, rows: Sequence[Row]) -> builtins.list[T]:
        """:meth:`_load` for a window of rows (:func:`~._repository_loading.load_many`)."""
        return load_many(self, rows)

    def _order(self, order_by: object) -> OrderKey:
        terms = self._info.order(order_by)
        if any(isinstance(t, RawOrder) for t in terms):
            raise ValidationError(
                f"the in-memory repository of {self._info.name} orders by mapped columns only",
                [FieldError("order_by", "SQL expressions need a SQL backend")],
            )
        return order_key(terms, self._rules.ranks)

    # -- the unit of work ----------------------------------------------------------------
    def _forget_all(self) -> None:
        """:meth:`close`: roll back and forget every object."""
        self._discard(forget=True)
        self._failure.begun = False
        self._identity.clear()
        self._keys.clear()
        self._snapshot.clear()
        self._expired.clear()

    def _discard(self, *, forget: bool) -> None:
        """:meth:`rollback` in one pass over the objects; *forget* detaches every one."""
        # each is refreshed from its committed row and expired: one written since loads next
        self._rows.discard()
        self._pending.clear()
        changed = self._dirty._modified  # noqa: SLF001 - changed but not flushed
        failure = self._failure  # a transaction in progress (else a Session's rollback passes)
        begun, failure.failed, failure.begun = failure.begun or bool(changed), False, False
        if not begun and not forget:  # passed through: nothing expired, nothing refreshed
            return
        stored = self._rows.base.rows
        snapshot = self._snapshot
        if not changed and all(map(operator.is_, map(stored.get, snapshot), snapshot.values())):
            # No object changed, none inserted here, no row replaced since it was loaded:
            # nothing to refresh (checked at C speed: close() after reads). Forgotten
            # objects keep their dirty hook; a flush drops a state it holds no key for
            # ("no longer ours"), and a collected object leaves the set by itself.
            if not forget:
                expire_all(self)
            return
        state_of = self._instance_state
        for key, obj in builtins.list(self._identity.items()):
            row = stored.get(key)
            state = state_of(obj)
            if row is None:
                state._instance_dict = no_identity_map  # noqa: SLF001
                self._keys.pop(state, None)
                del self._identity[key], snapshot[key]
                continue
            if forget:  # detached, as Session.close() expunges: its values stay as they are
                state._instance_dict = no_identity_map  # noqa: SLF001
            elif snapshot[key] is not row or state in changed:  # unloaded below: no values
                self._sync(obj, row, refresh=False)
        changed.clear()
        if not forget:
            expire_all(self)

    # -- writes --------------------------------------------------------------------------
    def _held(self, instance: Any) -> tuple[tuple[object, ...], T] | None:
        """The key and object of a changed *instance* held here (an expired one loaded first)."""
        key = self._keys.get(instance)
        held = None if key is None else self._identity.get(key)
        if key is None or held is None or held is not instance.obj():
            return None
        if key in self._expired:
            self._reload(key, held, self._rows.get(key) or self._snapshot[key])
        return key, held

    def _written(self, instance: Any, key: tuple[object, ...], obj: T) -> Row:
        """The row a flush writes: attributes set since loading, not lists changed in place."""
        before = self._snapshot[key]
        assigned = instance.committed_state
        values = obj.__dict__
        return {k: values.get(k) if k in assigned else before[k] for k in self._columns(obj)}

    def _in_key_order(self, states: set[Any]) -> builtins.list[Any]:
        """Changed objects' *states* in primary-key order, as a ``Session`` writes updates."""
        keys = self._keys
        try:
            return sorted(states, key=lambda state: keys.get(state, ()))
        except TypeError:  # key values of types that do not compare
            return builtins.list(states)

    def _check_changed(self) -> None:
        """Check what a flush would write first, as the SQL adapters do (``check_row``)."""
        # such a refusal writes nothing and the unit of work stays usable (a refused flush fails)
        check = self._rules.info.check_row
        for obj in self._pending.values():
            check(self._state(obj))
        for instance in self._in_key_order(self._dirty._modified):  # noqa: SLF001
            found = self._held(instance)
            if found is not None:
                check(self._written(instance, *found))

    def _changes(self) -> builtins.list[tuple[T, Row, Row, set[str]]]:
        """Each changed object (``obj, before, state, assigned``) in key order, checked whole.

        One set back to its row is clean again, as after a ``Session``'s flush.
        """
        dirty = self._dirty._modified  # noqa: SLF001 - states changed since loading
        changes = []
        for instance in self._in_key_order(dirty):
            found = self._held(instance)
            if found is None:
                dirty.discard(instance)  # no longer ours
                continue
            key, obj = found
            state = self._written(instance, key, obj)
            self._rules.info.check_row(state)
            if state != self._snapshot[key]:  # only values unequal to the row (True == 1 is not)
                changes.append((obj, self._snapshot[key], state, set(instance.committed_state)))
            else:
                instance.modified = False
                instance.committed_state.clear()
        return changes

    def _update(self, work: PendingRows) -> builtins.list[tuple[T, Row, Row, set[str]]]:
        """Write changed rows as a ``Session`` does: stale ones count after each executemany.

        It writes a run of updates of the same columns in one executemany, and counts the
        rows matched after it: a database's refusal of a later row of the run comes first.
        """
        updates = []
        columns: frozenset[str] | None = None
        stale: ConflictError | None = None
        for obj, before, state, assigned in self._changes():
            changed = frozenset(k for k, v in state.items() if v != before[k])
            if changed != columns:  # the next executemany: the last one's count first
                if stale is not None:
                    raise stale
                columns = changed
            error = self._rules.stale(work, before)
            if error is not None:
                stale = error if stale is None else stale
                continue
            updates.append((obj, self._rules.update(work, before, state), before, assigned))
        if stale is not None:
            raise stale
        return updates

    def _flush(self, extra: Sequence[T] = (), *, plain: bool = False) -> None:
        """Write pending objects and dirty loaded objects atomically (all or nothing)."""
        if extra and not plain and write_new(self, extra):
            return  # written with what their relationships reach (_repository_cascade)
        work = self._rows
        new = [*self._pending.values(), *extra]
        if len(new) > 1:  # the SQL adapters check every row first: no key for a refused batch
            check = self._rules.info.check_row
            for obj in new:
                check(self._state(obj))
        with work.atomic():
            updates = self._update(work)
            inserted = [
                (obj, self._rules.insert(work, self._state(obj), none_is_default=True))
                for obj in new
            ]
        self._dirty._modified.clear()  # noqa: SLF001
        self._pending.clear()
        for obj, row, before, assigned in updates:
            # a Session's flush sets only what the database generated (the version, an
            # onupdate value) and keeps the values set on the object as they were set
            current = obj.__dict__
            for name, value in self._shown(obj, row).items():
                if name not in assigned and value != before[name]:
                    current[name] = value if type(value) in PLAIN_TYPES else copy_value(value)
            self._sync(obj, row, refresh=False)
        version = self._rules.info.versions.filled  # a Session writes it over the object's
        for obj, row in inserted:
            current = obj.__dict__  # instrumented attributes keep their values here
            for name, value in self._shown(obj, row).items():
                if current.get(name) is None or name == version:  # generated, as flushed
                    current[name] = value if type(value) in PLAIN_TYPES else copy_value(value)
            self._sync(obj, row, refresh=False)
