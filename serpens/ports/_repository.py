"""The Repository port: typed CRUD over one mapped model, sync and async."""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from typing import Generic, Protocol, Self, TypeVar

__all__ = ["AsyncRepository", "CursorPage", "OrderBy", "Page", "Repository"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

OrderBy = str | Sequence[object] | object | None
"""What to sort by: field names (``"-price"`` sorts descending), or, for SQL adapters, column
expressions such as ``Product.price.desc()``. The primary key always breaks ties."""


# A tuple subclass cannot have non-empty __slots__: page, size and pages live in __dict__.
class Page(tuple[Sequence[T_co], int], Generic[T_co]):  # noqa: SLOT001
    """One page of results with the true total: the ``(items, total)`` pair, with attributes.

    serpens 2.9's ``paginate`` returned the tuple ``(rows, total)``; a ``Page`` still is
    that 2-tuple, so ``rows, total = repo.paginate()`` unpacks with ``rows`` typed
    ``Sequence[T]`` and ``total`` typed ``int`` (a type checker sees the tuple), and
    ``page[0]``, ``len(page) == 2`` and ``page == (rows, total)`` behave as before. It
    adds ``items``, ``total``, ``page``, ``size`` and ``pages`` (``ceil(total / size)``),
    all read-only. Two pages are equal when items, total, page and size are.

    Attributes:
        items: the rows of this page (``page[0]``).
        total: the number of rows over all pages (``page[1]``).
        page: the 1-based page number.
        size: the page size asked for.
        pages: the number of pages, ``ceil(total / size)`` (0 when there are no rows).
    """

    page: int
    size: int
    pages: int

    def __new__(cls, items: Sequence[T_co], total: int, page: int, size: int) -> Self:
        """Build the page; ``pages`` is computed."""
        self = super().__new__(cls, (items, total))
        pages = math.ceil(total / size) if size else 0
        # A tuple subclass cannot use __slots__ for extra fields; __setattr__ is closed.
        object.__setattr__(self, "page", page)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "pages", pages)
        return self

    @property
    def items(self) -> Sequence[T_co]:
        """The rows of this page."""
        return self[0]

    @property
    def total(self) -> int:
        """The number of rows over all pages."""
        return self[1]

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse changes: a page is a value."""
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        """Refuse changes: a page is a value."""
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        """Pages compare items, total, page and size; a plain tuple compares ``(items, total)``."""
        if isinstance(other, Page):
            return tuple.__eq__(self, other) and (self.page, self.size) == (other.page, other.size)
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        """The negation of :meth:`__eq__`."""
        return not self == other

    def __hash__(self) -> int:
        """Hash of the fields (a ``TypeError`` when the items are a list, as for a dataclass)."""
        return hash((tuple(self), self.page, self.size))

    def __repr__(self) -> str:
        """``Page(items=..., total=..., page=..., size=..., pages=...)``."""
        return (
            f"Page(items={self.items!r}, total={self.total!r}, page={self.page!r}, "
            f"size={self.size!r}, pages={self.pages!r})"
        )

    def __getnewargs__(self) -> tuple[Sequence[T_co], int, int, int]:
        """Pickle (and copy) through ``__new__`` with every field."""
        return (self.items, self.total, self.page, self.size)


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T_co]):
    """One keyset (cursor) page: ``items`` and the opaque cursor of the next page.

    ``next_cursor`` is ``None`` on the last page. Pass it back as ``seek(after=...)`` with
    the same ``order_by``; rows inserted between calls never cause repeats or gaps among
    the rows that already existed.
    """

    items: Sequence[T_co]
    next_cursor: str | None


class Repository(Protocol[T]):
    """Synchronous repository of one mapped model ``T``, bound to one unit of work (session).

    Shared semantics (pinned by ``serpens_contract.RepositoryContract``):

    - Identity: within one repository/session, reads of the same primary key return the
      same instance; ``add`` makes the caller's object persistent and sets its key.
    - Ordering: results are ordered by ``order_by`` (default: primary key ascending) with
      the primary key appended as the final tiebreaker, so every listing is deterministic.
      ``None`` sorts last ascending and first descending.
    - Filters: equality only; ``field=None`` matches NULL. An unknown field name raises
      :class:`serpens.errors.ValidationError` before any I/O.
    - Errors: a duplicate key raises :class:`serpens.errors.ConflictError` and leaves the
      unit of work usable. A failed flush is the exception, as in SQLAlchemy: ``flush()``,
      or a write's flush of what was pending before it, that the database refuses (a
      conflict, a ``CHECK`` or NOT NULL constraint) rolls the unit of work back, and every
      call but a rollback or close raises ``ConflictError`` until then; values checked
      before the flush (types, lengths, every model's) leave it usable. Of several refused
      objects, the first in the order a ``Session`` writes them decides the error. Every
      write checks and flushes what is pending first. A statement timeout raises
      :class:`serpens.errors.BackendTimeoutError`; an unreachable database raises
      :class:`serpens.errors.BackendUnavailableError`.
    - Limits: a string longer than its column's ``String(n)``/``VARCHAR(n)`` (counted in
      characters, as PostgreSQL counts them) raises :class:`serpens.errors.ValidationError`
      whose path names the field (``name``, or ``rows[i].name`` in a batch), on every
      backend: SQLite and the fake enforce what PostgreSQL does. Objects are checked when
      added and when the repository flushes them; nothing is stored.
    - There is deliberately no hard delete and no partial update.
    """

    def get(self, ident: object) -> T | None:
        """Return the row with primary key *ident*, or ``None`` when there is none."""
        ...

    def get_or_raise(self, ident: object) -> T:
        """Return the row with key *ident*; raise ``NotFoundError`` ("<Model> id=<repr>")."""
        ...

    def get_by(self, **filters: object) -> T | None:
        """Return the first row (by primary key) matching all *filters*, or ``None``."""
        ...

    def exists(self, **filters: object) -> bool:
        """Return whether any row matches; equals ``count(**filters) > 0``."""
        ...

    def count(self, **filters: object) -> int:
        """Return the number of rows matching; equals ``len(list(**filters))``."""
        ...

    def list(
        self,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: object,
    ) -> Sequence[T]:
        """Return matching rows in the documented order, skipping *offset* and capped at *limit*."""
        ...

    def paginate(self, *, page: int = 1, size: int = 20, order_by: OrderBy = None) -> Page[T]:
        """Return page *page* (1-based) of *size* rows (20 by default, as in serpens 2.9).

        ``total`` comes from a separate count, so a page past the end has no items but the
        real total; ``pages = ceil(total/size)`` (0 rows: 0 pages). ``page < 1``, ``size < 1``
        or ``size >= 2**63`` (PostgreSQL's ``bigint`` ``LIMIT``) raises ``ValidationError``;
        as in serpens 2.9 the size has no other bound unless the repository class sets
        ``max_page_size``.
        """
        ...

    def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """Keyset pagination for deep pages: up to *limit* rows after cursor *after*.

        Ordering as in :meth:`list`; every ``order_by`` column must be non-nullable, and a
        cursor from another ordering is a ``ValidationError``.
        """
        ...

    def add(self, obj: T, *, flush: bool = True) -> T:
        """Add *obj*; with ``flush`` it is written now (key assigned, conflicts raised here).

        Python-side defaults are applied and a ``version_id_col`` starts at 1. Re-adding a
        persistent object writes its changed attributes (see :meth:`flush`).
        """
        ...

    def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """Add all *objs* atomically (all or none) and return them in input order with keys set.

        With ``flush=False`` they are pending, as after ``add(obj, flush=False)``: written
        (keys set, conflicts raised) by the next :meth:`flush` or the commit.
        """
        ...

    def flush(self) -> None:
        """Write pending objects and changes to loaded objects now.

        A changed object whose ``version_id_col`` no longer matches the stored row (another
        unit of work updated it) raises ``ConflictError``; the version is bumped and
        ``onupdate`` columns are set on every update.
        """
        ...

    def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """Insert *values*, or on a conflict on *conflict_on* update *update_fields*.

        One atomic statement. With ``update_fields`` omitted (or empty: no field to
        update) an existing row is left untouched. Always returns the current row as
        stored, refreshed from the store.
        *conflict_on* must name the primary key or a unique constraint, otherwise
        ``ValidationError``. An update bumps ``version_id_col`` and sets ``onupdate``
        columns; a conflict on another unique constraint raises ``ConflictError`` and leaves
        the unit of work usable.
        """
        ...

    def upsert_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> int:
        """:meth:`upsert` every row in one atomic batch; return the number of input rows.

        Two rows with the same *conflict_on* values raise ``ValidationError``. Nothing is
        returned per row: read rows back with :meth:`list` when needed.
        """
        ...

    def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """Insert plain row dicts in one atomic batch (no objects built); return the count.

        The fast path for large loads. Defaults apply as for :meth:`add`; a duplicate key
        raises ``ConflictError`` and inserts nothing.
        """
        ...


class AsyncRepository(Protocol[T]):
    """Asynchronous twin of :class:`Repository`; every method has the same semantics."""

    async def get(self, ident: object) -> T | None:
        """See :meth:`Repository.get`."""
        ...

    async def get_or_raise(self, ident: object) -> T:
        """See :meth:`Repository.get_or_raise`."""
        ...

    async def get_by(self, **filters: object) -> T | None:
        """See :meth:`Repository.get_by`."""
        ...

    async def exists(self, **filters: object) -> bool:
        """See :meth:`Repository.exists`."""
        ...

    async def count(self, **filters: object) -> int:
        """See :meth:`Repository.count`."""
        ...

    async def list(
        self,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: object,
    ) -> Sequence[T]:
        """See :meth:`Repository.list`."""
        ...

    async def paginate(self, *, page: int = 1, size: int = 20, order_by: OrderBy = None) -> Page[T]:
        """See :meth:`Repository.paginate`."""
        ...

    async def seek(
        self, *, after: str | None = None, limit: int = 50, order_by: OrderBy = None
    ) -> CursorPage[T]:
        """See :meth:`Repository.seek`."""
        ...

    async def add(self, obj: T, *, flush: bool = True) -> T:
        """See :meth:`Repository.add`."""
        ...

    async def bulk_add(self, objs: Iterable[T], *, flush: bool = True) -> builtins.list[T]:
        """See :meth:`Repository.bulk_add`."""
        ...

    async def flush(self) -> None:
        """See :meth:`Repository.flush`."""
        ...

    async def upsert(
        self,
        values: Mapping[str, object],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> T:
        """See :meth:`Repository.upsert`."""
        ...

    async def upsert_many(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        conflict_on: Sequence[str],
        update_fields: Sequence[str] | None = None,
    ) -> int:
        """See :meth:`Repository.upsert_many`."""
        ...

    async def bulk_insert(self, rows: Iterable[Mapping[str, object]]) -> int:
        """See :meth:`Repository.bulk_insert`."""
        ...
