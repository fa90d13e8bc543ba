"""``AsyncSQLAlchemyRepository[T]``: the Repository port over an ``AsyncSession``.

Drivers: asyncpg, aiosqlite.

``_repository.py`` is generated from this file (``scripts/unasync.py --check`` checks it).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from serpens.errors import ConflictError
from serpens.ports import CursorPage, OrderBy, Page
from serpens_sqlalchemy._errors import MUST_ROLL_BACK, translate, translate_errors
from serpens_sqlalchemy._repository_bulk import acopy_records, aexecute_many
from serpens_sqlalchemy._repository_statements import RepositoryBase, untouched
from serpens_sqlalchemy._tracing import traced_methods

__all__ = ["AsyncSQLAlchemyRepository"]

T = TypeVar("T")


class _FirstWrite:
    """The first write of an untouched session: flushed, or the session rolled back whole.

    A class, not a generator: it runs on every ``add`` of a request-sized session.
    """

    __slots__ = ("_sess",)

    def __init__(self, sess: AsyncSession) -> None:
        self._sess = sess

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        failure = exc
        if failure is None:
            try:
                await self._sess.flush()
            except BaseException as error:  # noqa: BLE001 - rolled back, then re-raised
                failure = error
            else:
                return
        await self._sess.rollback()
        mapped = translate(failure)
        if mapped is not None:
            raise mapped from failure
        if failure is not exc:
            raise failure


@traced_methods
class AsyncSQLAlchemyRepository(RepositoryBase[T], Generic[T]):
    """CRUD for one mapped model over an ``AsyncSession``: the ``AsyncRepository`` port.

    Subclass with ``model = X`` (or pass ``model=X``) and add your own methods; ``query``
    is ``select(model)`` to compose on. Every write that can conflict runs in a savepoint,
    so a ``ConflictError`` leaves the caller's transaction usable. There is deliberately
    no hard delete and no partial update.
    """

    def __init__(self, sess: AsyncSession, model: type[T] | None = None) -> None:
        super().__init__(model)
        self._check_session(sess, AsyncSession)
        self.sess = sess
        self._check_bind(sess)

    def _dialect(self) -> str:
        return self.sess.get_bind(self._info.mapper).dialect.name

    def _atomic(self) -> AbstractAsyncContextManager[None]:
        """Run a write so that its failure leaves the caller's session usable.

        In a savepoint; or, when the session has begun no transaction and holds no
        objects, in the transaction the write itself begins, rolled back on failure.
        Both end the same way (the failed write is gone, earlier work is kept), and
        the second saves the SAVEPOINT and RELEASE round trips. A session bound to a
        ``Connection`` always takes the savepoint: the caller's transaction is not ours.

        Opening the savepoint flushes what the session holds unflushed first, outside it:
        the session's new and changed objects, of every model, are checked first, as
        :meth:`flush` checks them (a value the driver or the server would take as it is
        must not be written unchecked by a write that came after it).
        """
        if untouched(self.sess, self._info.mapper):
            return _FirstWrite(self.sess)
        self._check_pending([*self.sess.new, *self.sess.dirty])
        return self._savepoint()

    def _check_active(self) -> None:
        """Refuse to add to a session whose flush failed, as every other call does.

        ``Session.add`` would take the object and warn at the rollback that discards it.
        """
        if not self.sess.is_active:
            raise ConflictError(MUST_ROLL_BACK)

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        with translate_errors():
            async with self.sess.begin_nested():
                yield

    async def get(self, ident: object) -> T | None:
        """Return the row with primary key *ident*, or ``None``."""
        key = self._info.ident(ident)
        with translate_errors():
            obj: T | None = await self.sess.get(self.model, key[0] if len(key) == 1 else key)
            return obj

    async def get_or_raise(self, ident: object) -> T:
        """Return the row with key *ident*; raise ``NotFound`` ("<Model> id=<repr>")."""
        obj = await self.get(ident)
        if obj is None:
            raise self._info.not_found(ident)
        return obj

    async def get_by(self, **filters: object) -> T | None:
        """Return the first row by primary key matching *filters*, or ``None``."""
        stmt = self._get_stmt(filters)
        with translate_errors():
            return (await self.sess.scalars(stmt)).first()

    async def exists(self, **filters: object) -> bool:
        """Whether any row matches (``SELECT EXISTS``)."""
        stmt = self._exists_stmt(filters)
        with translate_errors():
            return bool(await self.sess.scalar(stmt))

    async def count(self, **filters: object) -> int:
        """Number of rows matching *filters*."""
        stmt = self._count_stmt(filters)
        with translate_errors():
            return int(await self.sess.scalar(stmt) or 0)

    async def list(
        self,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: object,
    ) -> Sequence[T]:
        """Rows matching *filters* in ``order_by`` order (primary key breaks ties)."""
        stmt = self._list_stmt(order_by, limit, offset, filters)
        with translate_errors():
            return (await self.sess.scalars(stmt)).all()

    async def paginate(
        self,
        stmt: sa.Select[Any] | None = None,
        *,
        page: int = 1,
        size: int = 20,
        order_by: OrderBy = None,
    ) -> Page[T]:
        """Page *page* of *stmt* (default ``query``) with the true total from a COUNT."""
        count_stmt, items_stmt = self._page_stmts(stmt, page, size, order_by)
        with translate_errors():
            total = int(await self.sess.scalar(count_stmt) or 0)
            past_end = (page - 1) * size >= total
            items = [] if past_end else (await self.sess.scalars(items_stmt)).all()
        return Page(items=items, total=total, page=page, size=size)

    async def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """Keyset page: up to *limit* rows after cursor *after*."""
        terms, stmt = self._seek_stmt(after, limit, order_by)
        with translate_errors():
            rows = (await self.sess.execute(stmt)).all()
        more = len(rows) > limit
        items = [r[0] for r in rows[:limit]]
        cursor = self._cursor(terms, rows[limit - 1][1:]) if more else None
        return CursorPage(items=items, next_cursor=cursor)

    async def add(self, obj: T, *, flush: bool = True) -> T:
        """Add *obj*; with ``flush`` write it now inside a savepoint."""
        if not flush:
            self._check_active()
            self.sess.add(self._new(obj))
            return obj
        async with self._atomic():
            self.sess.add(self._new(obj))
            self._check_reached([obj])
        return obj

    async def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """Add all *objs* in one savepoint (all or none); return them in input order.

        With ``flush=False`` they are only added to the session (written by the next
        flush or the commit), as serpens 2.9's ``bulk_add(objs, flush=False)``.
        """
        batch = builtins.list(objs)
        if not flush:
            self._check_active()
            self.sess.add_all([self._new(obj) for obj in batch])
            return batch
        async with self._atomic():
            self.sess.add_all([self._new(obj) for obj in batch])
            self._check_reached(batch)
        return batch

    def _check_reached(self, added: Sequence[object]) -> None:
        """Check the new objects that *added*'s relationships brought into the session.

        ``Session.add`` takes the new objects a relationship holds along (an author given
        to a book, players in a team's collection): their values are checked as the added
        objects' are, so SQLite does not store a string PostgreSQL refuses.
        """
        ids = {id(obj) for obj in added}
        self._check_pending([obj for obj in self.sess.new if id(obj) not in ids])

    async def flush(self) -> None:
        """Write pending objects and changes; a stale version raises ``ConflictError``."""
        self._check_pending([*self.sess.new, *self.sess.dirty])
        with translate_errors():
            await self.sess.flush()

    async def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """``INSERT ... ON CONFLICT`` in a savepoint; return the current row, refreshed."""
        stmt, again = self._upsert_stmt(self._dialect(), values, conflict_on, update_fields)
        async with self._atomic():
            opts = {"populate_existing": True}
            obj: T | None = (await self.sess.scalars(stmt, execution_options=opts)).first()
            if obj is None:  # DO NOTHING hit an existing row: read it in the same transaction
                obj = (await self.sess.scalars(again)).first()
            if obj is None:  # the row is another class's (single-table inheritance)
                raise self._info.foreign_row(conflict_on, values)
        return obj

    async def upsert_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> int:
        """One ``INSERT ... ON CONFLICT`` for all *rows* in a savepoint; return their count.

        On PostgreSQL (asyncpg, psycopg2) the rows are one array per column, a single
        ``INSERT ... SELECT * FROM unnest(...)``, when no left-out column has a Python-side
        default and no column type processes its values in Python; an executemany
        otherwise (and on SQLite).
        """
        batch = builtins.list(rows)
        stmt, params, checks = self._upsert_many_stmt(
            self._dialect(), batch, conflict_on, update_fields
        )
        if not params:
            return 0
        async with self._atomic():
            for check in checks:  # a conflict key of another class's row: not updated
                found = (await self.sess.execute(check)).first()
                if found is not None:
                    raise self._info.foreign_row(conflict_on, dict(found._mapping))  # noqa: SLF001
            conn = await self.sess.connection()
            if not await aexecute_many(conn, stmt, params):
                await self.sess.execute(stmt, params)
        return len(params)

    async def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """Insert row dicts in one savepoint: COPY on PostgreSQL, executemany on SQLite.

        COPY takes the values as they are, Python-side column defaults filled in; a value
        COPY cannot carry as it is (a SQL-expression default, a type psycopg2 would
        adapt itself) sends the batch through SQLAlchemy's executemany instead.
        """
        params = self._rows(rows)
        if not params:
            return 0
        async with self._atomic():
            conn = await self.sess.connection()
            if not await acopy_records(conn, self._info.table, params):
                await self.sess.execute(sa.insert(self._info.table), params)
        return len(params)
