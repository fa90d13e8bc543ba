"""Secondary indexes of the in-memory repository's committed rows.

An :class:`OrderedIndex` keeps the primary keys of a table sorted by one ordering (the
repository's order terms, primary key last, so the order is total): ``list``,
``paginate`` and ``seek`` slice it instead of sorting every row. An :class:`EqualityIndex`
maps one column's values to the keys holding them: filtered ``count``/``list`` read one
bucket instead of scanning. Both are built on first use and kept current on every write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from serpens._rules.repository import frozen, hashable
from serpens.errors import ConflictError

__all__ = [
    "ComputedKey",
    "EqualityIndex",
    "OrderKey",
    "OrderedIndex",
    "Rank",
    "Unique",
    "duplicate",
    "lookup",
    "order_key",
    "precedes",
    "row_sort_key",
    "sort_value",
    "sorted_keys",
    "unique_key",
]

Row = dict[str, object]
Key = tuple[object, ...]
Rank = Callable[[Any], Any] | None
"""How an ordering compares a column's values: ``None`` as they are, or a function giving
each non-NULL value its place (an ``Enum`` column sorts by what the database stores)."""
OrderKey = tuple[tuple[str, bool, Rank], ...]
"""An ordering as ``((attribute, descending, rank), ...)``, primary key included."""


class ComputedKey(Protocol):
    """A unique index whose key the fake computes (``ComputedUnique``): partial, expression."""

    name: str

    def key(self, row: Row) -> Key | None:
        """*row*'s key in the index, or ``None`` when the row has none."""
        ...

    def given(self, row: Row) -> Key:
        """*row*'s values of the index's columns, for a conflict's message."""
        ...


Unique = tuple[str, ...] | ComputedKey
"""One unique set of a table: its columns' attribute keys, or an index computing its key."""


def unique_key(row: Row, unique: Unique) -> Key | None:
    """*row*'s key in the unique set *unique*; ``None`` if a value is NULL (no conflict)."""
    if type(unique) is not tuple:
        return unique.key(row)  # type: ignore[union-attr]
    values = tuple(row[k] for k in unique)
    if None in values:
        return None  # NULLs never conflict, as in SQL
    return hashable(values)  # type: ignore[no-any-return]


def lookup(index: Any, key: object) -> Any:
    """``index.get(key)``, by *key*'s :func:`frozen` stand-in when it is unhashable.

    Free for the hashable keys of every read (no ``hash()`` beforehand): only a list or a
    dict takes the second lookup.
    """
    try:
        return index.get(key)
    except TypeError:
        return index.get(frozen(key))


def duplicate(info: Any, unique: Unique, row: Row) -> ConflictError:
    """The ``ConflictError`` of *row* holding a key of *unique* another row holds."""
    if type(unique) is tuple:
        names, given = ", ".join(unique), tuple(row[k] for k in unique)
        return ConflictError(f"duplicate key: {info.name} ({names})={given!r} exists")
    return ConflictError(f"duplicate key: {unique.name}: {unique.given(row)!r} exists")  # type: ignore[union-attr]


def sort_value(value: Any) -> tuple[bool, bool, Any]:
    """*value*'s sort key: NULLs last, then NaNs (above every number), as PostgreSQL sorts."""
    if value is None:
        return True, False, 0
    if value != value:  # noqa: PLR0124 - a NaN
        return False, True, 0
    return False, False, value


def precedes(a: Row, b: Row, order: OrderKey) -> bool:
    """Whether row *a* sorts strictly before row *b* (NULLs last ascending, first descending)."""
    for key, descending, rank in order:
        x: Any = a[key]
        y: Any = b[key]
        if rank is not None:
            x, y = _ranked(x, rank), _ranked(y, rank)
        if x == y:
            continue
        if x is None:
            return descending
        if y is None:
            return not descending
        if x != x or y != y:  # noqa: PLR0124 - a NaN: above every number (PostgreSQL's order)
            if x != x and y != y:  # noqa: PLR0124 - two NaNs tie: the next term decides
                continue
            return bool(y != y) != descending  # noqa: PLR0124 - ascending, a number comes first
        return bool(x > y) if descending else bool(x < y)
    return False


def row_sort_key(key: str, rank: Rank) -> Callable[[Row], tuple[bool, bool, Any]]:
    """The sort key of one order term: :func:`sort_value` of the row's value (ranked)."""
    if rank is None:
        return lambda row: sort_value(row[key])
    return lambda row: sort_value(_ranked(row[key], rank))


def sorted_keys(rows: Mapping[Key, Row], order: OrderKey) -> list[Key]:
    """Primary keys of *rows* in *order* (stable C sorts, one per term, last term first)."""
    items = list(rows.items())
    for key, descending, rank in reversed(order):
        term = row_sort_key(key, rank)
        items.sort(key=lambda kv, f=term: f(kv[1]), reverse=descending)  # type: ignore[misc]
    return [pk for pk, _ in items]


def _ranked(value: object, rank: Callable[[Any], Any]) -> object:
    """*value*'s place under *rank*; NULL stays NULL."""
    return None if value is None else rank(value)


class OrderedIndex:
    """Primary keys of one table in one total order, kept sorted on every write."""

    __slots__ = ("firsts", "keys", "order")

    def __init__(self, rows: Mapping[Key, Row], order: OrderKey) -> None:
        self.order = order
        self.keys = sorted_keys(rows, order)
        first, _, rank = order[0]
        # each key's first-term value, as compared: a search step reads no row but on a tie
        self.firsts: list[Any] = [
            rows[k][first] if rank is None else _ranked(rows[k][first], rank) for k in self.keys
        ]

    def position(self, rows: Mapping[Key, Row], row: Row) -> int:
        """The first position whose row does not sort before *row* (binary search).

        The first term is compared inline (it decides almost every step); only ties on
        it go through :func:`precedes` for the remaining terms.
        """
        keys, firsts = self.keys, self.firsts
        (first, descending, rank), rest = self.order[0], self.order[1:]
        mine: Any = row[first] if rank is None else _ranked(row[first], rank)
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            theirs: Any = firsts[mid]
            if theirs == mine:
                before = precedes(rows[keys[mid]], row, rest)
            elif theirs is None:
                before = descending
            elif mine is None:
                before = not descending
            elif theirs != theirs or mine != mine:  # noqa: PLR0124 - a NaN (see precedes)
                both = theirs != theirs and mine != mine  # noqa: PLR0124
                other = rows[keys[mid]]
                before = precedes(other, row, rest) if both else (mine != mine) != descending  # noqa: PLR0124
            else:
                before = bool(theirs > mine) if descending else bool(theirs < mine)
            if before:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def first_true(self, rows: Mapping[Key, Row], test: Callable[[Row], bool]) -> int:
        """The first position whose row passes *test* (false then true along the order)."""
        keys = self.keys
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if test(rows[keys[mid]]):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def remove(self, rows: Mapping[Key, Row], pk: Key, row: Row) -> None:
        """Drop *pk*, whose stored row is still *row* in *rows*."""
        at = self.position(rows, row)
        if not (at < len(self.keys) and self.keys[at] == pk):  # pragma: no cover - defensive
            at = self.keys.index(pk)  # the index and the rows disagree
        del self.keys[at], self.firsts[at]

    def insert(self, rows: Mapping[Key, Row], pk: Key, row: Row) -> None:
        """Add *pk* for *row* at its sorted position."""
        at = self.position(rows, row)
        first, _, rank = self.order[0]
        self.keys.insert(at, pk)
        self.firsts.insert(at, row[first] if rank is None else _ranked(row[first], rank))


class EqualityIndex:
    """One column's values -> the primary keys of the rows holding them."""

    __slots__ = ("buckets", "column")

    def __init__(self, rows: Mapping[Key, Row], column: str) -> None:
        self.column = column
        self.buckets: dict[object, set[Key]] = {}
        for pk, row in rows.items():
            self.add(pk, row)

    def add(self, pk: Key, row: Row) -> None:
        """Index *row* (a list or a dict by its :func:`frozen` stand-in)."""
        value = hashable(row[self.column])
        bucket = self.buckets.get(value)
        if bucket is None:
            self.buckets[value] = {pk}
        else:
            bucket.add(pk)

    def discard(self, pk: Key, row: Row) -> None:
        """Forget *row*."""
        value = hashable(row[self.column])
        bucket = self.buckets.get(value)
        if bucket is not None:
            bucket.discard(pk)
            if not bucket:
                del self.buckets[value]

    def get(self, value: object) -> set[Key]:
        """The keys of the rows whose value equals *value* (``None``: NULL)."""
        found: set[Key] | None = lookup(self.buckets, value)
        return _EMPTY if found is None else found


_EMPTY: set[Key] = set()


def order_key(terms: Sequence[Any], ranks: Mapping[str, Rank] | None = None) -> OrderKey:
    """The :data:`OrderKey` of a sequence of ``OrderTerm``, with each column's *ranks*."""
    if not ranks:
        return tuple((t.key, t.descending, None) for t in terms)
    return tuple((t.key, t.descending, ranks.get(t.key)) for t in terms)


def sort_rows(rows: list[Row], order: OrderKey) -> list[Row]:
    """*rows* in *order*: one stable C sort per term, last term first."""
    out = list(rows)
    for key, descending, rank in reversed(order):
        out.sort(key=row_sort_key(key, rank), reverse=descending)
    return out
