"""Sans-I/O statement building shared by the sync and async repositories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.dml import Insert

from serpens._rules.repository import (
    Batch,
    ModelInfo,
    OrderTerm,
    RawOrder,
    model_info,
    supported_model_info,
)
from serpens.errors import ConfigurationError
from serpens_sqlalchemy._repository_flush import flushed_values
from serpens_sqlalchemy._repository_sessions import _describe

__all__ = ["SUPPORTED_DIALECTS", "RepositoryBase", "check_dialect", "untouched"]

_EXACT_NUMERIC = sa.Numeric(asdecimal=True)
"""A filter value's type for a ``Numeric(p, s)`` column: compared as given, not rounded."""

T = TypeVar("T")


SUPPORTED_DIALECTS = ("postgresql", "sqlite")


def check_dialect(dialect: str) -> None:
    """Raise ``ConfigurationError`` unless the repository supports *dialect*.

    MySQL and MariaDB are refused: ``ON DUPLICATE KEY UPDATE`` fires on *any* unique
    key and has no conflict target, so ``upsert(conflict_on=...)`` could not keep its
    contract, and they have no ``NULLS LAST`` for the pinned ordering.
    """
    if dialect not in SUPPORTED_DIALECTS:
        raise ConfigurationError(
            "serpens repositories support PostgreSQL and SQLite; this session is bound to "
            f"{dialect!r}. Use the session directly (MySQL/MariaDB: ON DUPLICATE KEY "
            "cannot honour upsert's conflict_on)"
        )


def _dialect_insert(dialect: str, target: Any) -> Any:
    check_dialect(dialect)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

        return pg_insert(target)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

    return sqlite_insert(target)


def untouched(session: Any, mapper: Any = None) -> bool:
    """Whether *session* (sync or async) has no transaction and holds no objects yet.

    A failed write there can be undone by rolling the whole session back: there is
    no earlier work to lose and no loaded object to expire. Not so for a session bound
    to a ``Connection`` (for *mapper*): the connection may be in the caller's own
    transaction, which the session's rollback would roll back (earlier work lost).
    """
    sync = getattr(session, "sync_session", session)
    if sync.in_transaction() or sync.identity_map or sync.new or sync.deleted:
        return False
    bind = sync.bind if mapper is None else sync.get_bind(mapper)
    return not isinstance(bind, sa.Connection)


# Default (primary key) ORDER BY clauses per model; SQL expressions are immutable.
_KEY_ORDER: dict[ModelInfo, list[Any]] = {}


class RepositoryBase(Generic[T]):
    """Everything but I/O: validation and statement building for one mapped model."""

    model: type[Any]
    max_page_size: ClassVar[int | None] = None

    def __init__(self, model: type[T] | None) -> None:
        if model is not None:
            self.model = model
        elif getattr(type(self), "model", None) is None:
            raise ConfigurationError(
                f"{type(self).__name__} needs a model: set `model = X` on the subclass "
                "or pass model=X"
            )
        self._info: ModelInfo = model_info(self.model)

    def _check_session(self, sess: object, expected: type[Any]) -> None:
        """Refuse anything but a session of the *expected* kind (no I/O).

        A sync repository given an ``AsyncSession`` would build coroutines nobody awaits
        (``add`` would write nothing, silently); an async one given a ``Session`` would
        fail later with an unrelated ``TypeError``. Both, and an engine, a connection or
        a session factory passed by mistake, raise ``ConfigurationError`` here.
        """
        if isinstance(sess, expected):
            return
        asynchronous = expected.__name__.startswith("Async")
        name = type(self).__name__
        wanted = "an AsyncSession" if asynchronous else "a sqlalchemy.orm.Session"
        got = _describe(sess)
        if got in {"an AsyncSession", "a Session"}:
            use = (
                "use Repository (serpens.database.Repository) for a Session"
                if asynchronous
                else "use AsyncRepository (serpens.database.AsyncRepository) for an "
                "AsyncSession, whose writes a synchronous repository could never await"
            )
        elif "scoped" in got:
            use = "pass the session it holds for this scope: `Repo(scoped())`"
        elif "factory" in got:
            use = (
                "open a session first: `async with AsyncSessionLocal() as sess`"
                if asynchronous
                else "open a session first: `with SessionLocal() as sess`"
            )
        else:
            use = "pass the session of the unit of work (db_session()/async_db_session())"
        message = f"{name} needs {wanted}, but was given {got}: {use}"
        raise ConfigurationError(message)

    def _check_bind(self, sess: Any) -> None:
        """Refuse a session bound to a database the repository does not support (no I/O)."""
        try:
            bind = sess.get_bind(self._info.mapper)
        except sa.exc.UnboundExecutionError:
            return  # the session says so itself on first use
        check_dialect(bind.dialect.name)

    @property
    def query(self) -> sa.Select[Any]:
        """``select(model)``: compose custom statements on it."""
        return sa.select(self.model)

    # -- reads ---------------------------------------------------------------------------
    def _col(self, key: str) -> Any:
        return self._info.columns[key].column

    def _where(self, filters: Mapping[str, object]) -> list[Any]:
        checked = self._info.filters(filters)
        return [self._equals(k, v) for k, v in checked.items()]

    def _equals(self, key: str, value: object) -> Any:
        """``column = value`` (``IS NULL`` for ``None``), comparing numbers exactly.

        A value for ``Numeric(p, s)`` is bound as a bare ``NUMERIC``: SQLAlchemy's asyncpg
        dialect casts it to the column's ``NUMERIC(p, s)``, which rounds it, so ``1.104``
        found a stored ``1.10`` there and nowhere else (psycopg2, SQLite, the fake).
        """
        column = self._col(key)
        if value is None:
            return column.is_(None)
        if type(column.type) is sa.Numeric and column.type.scale is not None:
            return column == sa.bindparam(None, value, type_=_EXACT_NUMERIC)
        return column == value

    def _order(self, order_by: object) -> list[Any]:
        if order_by is None:  # the primary key: the same clauses every time, built once
            cached = _KEY_ORDER.get(self._info)
            if cached is None:
                cached = _KEY_ORDER[self._info] = self._build_order(None)
            return cached
        return self._build_order(order_by)

    def _build_order(self, order_by: object) -> list[Any]:
        clauses: list[Any] = []
        for term in self._info.order(order_by):
            if isinstance(term, RawOrder):
                clauses.append(term.expression)
                continue
            col = self._col(term.key)
            clause = col.desc() if term.descending else col.asc()
            if self._info.columns[term.key].nullable:
                clause = clause.nulls_first() if term.descending else clause.nulls_last()
            clauses.append(clause)
        return clauses

    def _filtered(self, filters: Mapping[str, object]) -> sa.Select[Any]:
        stmt = self.query
        return stmt.where(*self._where(filters)) if filters else stmt

    def _get_stmt(self, filters: Mapping[str, object]) -> sa.Select[Any]:
        return self._filtered(filters).order_by(*self._order(None)).limit(1)

    def _count_stmt(self, filters: Mapping[str, object]) -> sa.Select[Any]:
        # the model, not its table: a single-table subclass counts its own rows only
        return sa.select(sa.func.count()).select_from(self.model).where(*self._where(filters))

    def _exists_stmt(self, filters: Mapping[str, object]) -> sa.Select[Any]:
        inner = sa.select(sa.literal(1)).select_from(self.model).where(*self._where(filters))
        return sa.select(inner.exists())

    def _list_stmt(
        self, order_by: object, limit: int | None, offset: int | None, filters: Mapping[str, object]
    ) -> sa.Select[Any]:
        self._info.check_window(limit, offset)
        stmt = self._filtered(filters).order_by(*self._order(order_by))
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return stmt

    def _page_stmts(
        self, stmt: sa.Select[Any] | None, page: int, size: int, order_by: object
    ) -> tuple[sa.Select[Any], sa.Select[Any]]:
        self._info.check_page(page, size, self.max_page_size)
        base = self.query if stmt is None else stmt
        count = sa.select(sa.func.count()).select_from(base.order_by(None).subquery())
        items = base.order_by(*self._order(order_by)).limit(size).offset((page - 1) * size)
        return count, items

    def _seek_stmt(
        self, after: str | None, limit: int, order_by: object
    ) -> tuple[list[OrderTerm], sa.Select[Any]]:
        """Rows of ``(obj, *order values)``: cursors use stored values, not stale attributes."""
        self._info.check_limit(limit, self.max_page_size)
        terms = self._info.seek_terms(order_by)
        stmt = (
            self.query.add_columns(*(self._col(t.key) for t in terms))
            .order_by(*self._order([t.label for t in terms]))
            .limit(limit + 1)
        )
        if after is not None:
            values = self._info.decode_cursor(after, terms)
            branches = []
            for i, term in enumerate(terms):
                col = self._col(term.key)
                equal = [self._col(t.key) == v for t, v in zip(terms[:i], values[:i], strict=True)]
                beyond = col < values[i] if term.descending else col > values[i]
                branches.append(sa.and_(*equal, beyond))
            stmt = stmt.where(sa.or_(*branches))
        return terms, stmt

    def _cursor(self, terms: Sequence[OrderTerm], values: Sequence[object]) -> str:
        return self._info.encode_cursor(
            terms, {t.key: v for t, v in zip(terms, values, strict=True)}
        )

    # -- writes ---
    def _new(self, obj: T) -> T:
        """Give a new object's unset column attributes an explicit ``None``.

        A never-set attribute stays *unloaded* after the INSERT, so a later query would
        silently fill it with whatever the row holds then. Explicit ``None`` (which still
        lets defaults apply) makes the object hold exactly what was written.
        """
        state: Any = sa.inspect(obj)
        if state.transient:
            values = state.dict
            for key in self._info.columns:
                if key not in values:
                    # Straight into the instance dict: an INSERT reads values from there,
                    # and no attribute event or validator should fire for "not given".
                    values[key] = None
            self._info.check_row(values)  # types and String(n), as every backend checks them
        return obj

    def _check_pending(self, pending: Iterable[object]) -> None:
        """Check what a flush would write, before it: new objects whole, loaded ones' changes.

        Drivers and servers disagree on a value of the wrong type or a string over its
        ``String(n)`` (PostgreSQL rejects it, SQLite stores it, a failed flush leaves the
        session needing a rollback): the shared rule rejects it first, on every backend,
        with the attribute as the error's path, and the unit of work stays usable. Every
        model's objects, as the flush writes them all (repositories often share a session);
        of a loaded one only its changes (:func:`flushed_values`: SQLite reads zones naive).
        """
        own = self._info
        for obj in pending:
            info = own if isinstance(obj, own.model) else supported_model_info(type(obj))
            if info is not None:
                info.check_row(flushed_values(obj))

    def _insert_values(self, values: Mapping[str, object]) -> dict[str, object]:
        row = self._info.decimal_floats(values)  # as a batch sends them
        self._info.versions.fill(row)  # the generator's first version, when not given
        return row

    def _on_conflict(
        self,
        insert: Any,
        target: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> Any:
        index = [self._col(k) for k in target]
        if update_fields is None:
            return insert.on_conflict_do_nothing(index_elements=index)
        set_: dict[str, Any] = {}
        for key in update_fields:
            name = self._col(key).name
            set_[name] = insert.excluded[name]
        for key, info in self._info.columns.items():
            onupdate = info.onupdate
            if key in update_fields or onupdate is None or not hasattr(onupdate, "arg"):
                continue
            arg = onupdate.arg
            set_[info.column.name] = arg(None) if onupdate.is_callable else arg
        if self._info.versions.counter:  # a custom generator's upsert_args refused
            version = self._col(self._info.version)  # type: ignore[arg-type]
            set_[version.name] = version + 1
        return insert.on_conflict_do_update(index_elements=index, set_=set_, where=self._own_rows())

    def _own_rows(self) -> Any:
        """A single-table subclass's rows (``None``: every row): another class's is not updated."""
        kinds = self._info.inheritance
        if kinds is None or kinds.identities is None:
            return None
        column = self._col(kinds.key)  # no IN: constant binds keep the executemany fast paths
        return sa.or_(*(column == identity for identity in kinds.identities))

    def _foreign_rows(self, target: Sequence[str], rows: Sequence[Mapping[str, object]]) -> Any:
        """Statements finding a row of *rows*' conflict keys that belongs to another class."""
        own = self._own_rows()
        if own is None:
            return []
        columns = self._info.columns
        names = [self._col(k).name for k in target]
        keys: list[Any] = [
            tuple(columns[k].stored_key(r[n]) for k, n in zip(target, names, strict=True))
            for r in rows
        ]
        key = self._col(target[0]) if len(target) == 1 else sa.tuple_(*map(self._col, target))
        if len(target) == 1:
            keys = [k[0] for k in keys]
        found = sa.select(*(self._col(k) for k in target)).select_from(self._info.table)
        return [
            found.where(key.in_(keys[i : i + 500]), sa.not_(own)).limit(1)
            for i in range(0, len(keys), 500)
        ]

    def _upsert_stmt(
        self,
        dialect: str,
        values: Mapping[str, object],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[Insert, sa.Select[Any]]:
        target, fields = self._info.upsert_args(values, conflict_on, update_fields)
        values = self._info.identified(values)
        insert = _dialect_insert(dialect, self.model).values(self._insert_values(values))
        stmt = self._on_conflict(insert, target, fields).returning(self.model)
        # the stored row by its key as the column stores it (an Enum's name is its member,
        # a number is rounded to the column's scale, a NaN is the one NaN)
        keys = self._info.columns
        again = self.query.where(*(self._col(k) == keys[k].stored_key(values[k]) for k in target))
        return stmt, again.execution_options(populate_existing=True)

    def _rows(self, rows: Iterable[Mapping[str, object]]) -> Batch:
        """Validate a batch and key it by column name, version column included."""
        return self._column_rows(self._info.batch(rows))

    def _column_rows(self, batch: Batch) -> Batch:
        """Validated rows keyed by column name, version column set; new dicts when needed.

        The caller's dicts are never changed; they are passed on as they are when their
        keys already are column names and no version needs filling in. The batch's
        per-field values are keyed by column name too.
        """
        if not batch:
            return batch
        names = {k: self._col(k).name for k in batch[0]}
        rename = any(k != name for k, name in names.items())
        version = self._col(v).name if (v := self._info.versions.filled) is not None else None
        if not rename and (version is None or all(r.get(version) is not None for r in batch)):
            return batch
        out = []
        for row in batch:
            new = {names[k]: v for k, v in row.items()} if rename else dict(row)
            if version is not None and new.get(version) is None:
                new[version] = self._info.versions.first()  # one call per row, as a Session
            out.append(new)
        columns = {names[k]: values for k, values in batch.columns.items()}
        if version is not None:
            columns[version] = [row[version] for row in out]
        return Batch(out, columns)

    def _upsert_many_stmt(
        self,
        dialect: str,
        rows: list[Mapping[str, object]],
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None,
    ) -> tuple[Any, list[dict[str, object]], list[Any]]:
        """The statement, its rows, and the checks that none conflicts with another class's row."""
        batch, target, fields = self._info.upsert_many_args(rows, conflict_on, update_fields)
        if not batch:
            return None, [], []
        insert = _dialect_insert(dialect, self._info.table)
        params = self._column_rows(batch)
        checks = self._foreign_rows(target, params)
        return self._on_conflict(insert, target, fields), params, checks
