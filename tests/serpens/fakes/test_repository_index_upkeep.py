"""The fake's indexes, kept current by every commit, answer as indexes built from scratch.

The in-memory repository builds an ordered index on the first read of an ordering, an
equality index on the first filter of a column, and then keeps both current on every
commit (a binary-search insert, a removal, a bucket update) instead of sorting again.
These cases drive random commits through one long-lived database, with the values that
make ordering subtle: NULLs (last ascending, first descending), NaN (above every number,
as PostgreSQL sorts it), an ``Enum`` ordered by the names the column stores (the reverse
of its members' values here), equal instants written in different time zones, and ties
the key breaks. After every flush and every commit, each ordering, filter and keyset walk
must answer exactly as a new database seeded with the same rows answers, whose indexes
are built in one sort, and each ordering must follow PostgreSQL's rules as written out
here (``_expected``). The contract suite pins the orders against PostgreSQL itself (where
SQLite cannot hold a NaN); this pins them and their upkeep where no server runs (the
mutation driver's in-process cells). The rows each unit of work should hold are tracked
by the test itself, so a fake that lost a pending row could not agree with itself and pass.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.database import UTCDateTime
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Product


class _Base(DeclarativeBase):
    pass


class Shade(enum.Enum):
    """Stored by name: ``DARK`` sorts before ``LIGHT``, though the values sort the other way."""

    LIGHT = "a-light"
    DARK = "z-dark"


class Reading(_Base):
    __tablename__ = "fake_upkeep_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[float | None] = mapped_column(sa.Float)
    shade: Mapped[Shade | None] = mapped_column(sa.Enum(Shade, native_enum=False))
    label: Mapped[str | None] = mapped_column(sa.String(8))
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # not null, so a keyset walk can order by them (a cursor holds no NULL)
    made: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=lambda: NOON)
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)


COLUMNS = ("id", "level", "shade", "label", "at", "made", "score")
NOON = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
LEVELS = [None, math.nan, -1.5, 0.0, 2.0, 3.25]
SHADES = [None, Shade.LIGHT, Shade.DARK]
LABELS = [None, "a", "b", "c"]
INSTANTS = [
    None,
    NOON,
    NOON.astimezone(dt.timezone(dt.timedelta(hours=-3))),  # the same instant
    NOON - dt.timedelta(hours=1),
    (NOON + dt.timedelta(minutes=30)).astimezone(dt.timezone(dt.timedelta(hours=1))),
]
ORDERS = [
    ["level"],
    ["-level"],
    ["shade", "-level"],
    ["-shade", "label"],
    ["at"],
    ["-at", "level"],
    ["label", "-at"],
    ["made", "-score"],
]
SEEK_ORDERS = [["made"], ["-made", "score"], ["score"], ["-score", "made"], ["id"]]
FILTERS = {"level": LEVELS, "shade": SHADES, "label": LABELS, "at": INSTANTS}

values = st.fixed_dictionaries(
    {},
    optional={
        "level": st.sampled_from(LEVELS),
        "shade": st.sampled_from(SHADES),
        "label": st.sampled_from(LABELS),
        "at": st.sampled_from(INSTANTS),
        "made": st.sampled_from(INSTANTS[1:]),
        "score": st.sampled_from(LEVELS[1:]),
    },
)
# one unit of work: rows to insert, then (position among the rows, new values) updates
steps = st.lists(
    st.tuples(st.lists(values, max_size=4), st.lists(st.tuples(st.integers(0, 50), values))),
    min_size=1,
    max_size=4,
)


def _ids(objs: Any) -> list[int]:
    return [obj.id for obj in objs]


def _walk(repo: Any, order: list[str]) -> list[int]:
    """Every row, by keyset pages of two (a walk that comes back to a row fails at once)."""
    page = repo.seek(limit=2, order_by=order)
    seen = _ids(page.items)
    while page.next_cursor is not None:
        page = repo.seek(after=page.next_cursor, limit=2, order_by=order)
        seen += _ids(page.items)
        assert len(set(seen)) == len(seen), f"{order}: the walk repeats rows: {seen}"
    return seen


def _answers(repo: Any) -> dict[str, object]:
    """What *repo* answers: every ordering, keyset walk, count, filtered count and list."""
    out: dict[str, object] = {"list": _ids(repo.list()), "count": repo.count()}
    for order in ORDERS:
        out[f"list {order}"] = _ids(repo.list(order_by=order))
    for order in SEEK_ORDERS:
        walked = out[f"seek {order}"] = _walk(repo, order)
        assert walked == _ids(repo.list(order_by=order)), order  # each row once, in order
    for column, candidates in FILTERS.items():
        for value in candidates:
            out[f"count {column}={value!r}"] = repo.count(**{column: value})
            out[f"list {column}={value!r}"] = _ids(repo.list(**{column: value}))
    return out


def _from_scratch(rows: dict[int, dict[str, Any]]) -> dict[str, object]:
    """What a new database holding *rows* answers (its indexes built in one sort each)."""
    fresh: Any = InMemoryRepository(Reading, database=InMemoryDatabase())
    fresh.bulk_insert(list(rows.values()))
    fresh.commit()
    return _answers(InMemoryRepository(Reading, database=fresh.database))


def _place(value: object) -> tuple[int, Any]:
    """A value's place as PostgreSQL sorts it: numbers and text, then NaN, then NULL."""
    if value is None:
        return 2, 0
    if value != value:  # noqa: PLR0124 - a NaN
        return 1, 0
    return 0, value.name if isinstance(value, Shade) else value  # an Enum sorts by its name


def _expected(rows: dict[int, dict[str, Any]], order: list[str]) -> list[int]:
    """The ids of *rows* in *order*, worked out here (descending puts NULLs first)."""

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for term in [*order, "id"]:
            x, y = _place(a[term.lstrip("-")]), _place(b[term.lstrip("-")])
            if x != y:
                return (-1 if x < y else 1) * (-1 if term.startswith("-") else 1)
        return 0

    return [row["id"] for row in sorted(rows.values(), key=functools.cmp_to_key(compare))]


def _check(repo: Any, rows: dict[int, dict[str, Any]]) -> None:
    """*repo* answers as a database built from *rows*, and orders as PostgreSQL does."""
    answers = _answers(repo)
    assert answers == _from_scratch(rows)
    for order in ORDERS + SEEK_ORDERS:
        assert answers.get(f"list {order}", _ids(repo.list(order_by=order))) == _expected(
            rows, order
        ), order


def _row(obj: Reading) -> dict[str, Any]:
    return {c: getattr(obj, c) for c in COLUMNS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(values, min_size=1, max_size=6), later=steps)
def test_indexes_kept_current_answer_as_indexes_built_from_scratch(
    first: list[dict[str, Any]], later: list[tuple[list[dict[str, Any]], list[Any]]]
) -> None:
    """The rows each unit holds are tracked here, apart from the fake, for the fresh side."""
    database = InMemoryDatabase()
    seed: Any = InMemoryRepository(Reading, database=database)
    committed = {obj.id: _row(obj) for obj in seed.bulk_add([Reading(**v) for v in first])}
    seed.commit()
    _answers(InMemoryRepository(Reading, database=database))  # builds every index
    for inserts, updates in later:
        unit: Any = InMemoryRepository(Reading, database=database)
        mine = {key: dict(row) for key, row in committed.items()}
        added = unit.bulk_add([Reading(**v) for v in inserts])
        mine.update((obj.id, _row(obj)) for obj in added)
        keys = sorted(mine)
        for position, changes in updates:
            key = keys[position % len(keys)]
            obj = unit.get(key)
            for name, value in changes.items():
                setattr(obj, name, value)
            mine[key].update(changes)
        unit.flush()
        _check(unit, mine)  # its pending writes over the indexes
        unit.commit()
        committed = mine
        reader: Any = InMemoryRepository(Reading, database=database)
        _check(reader, committed)


class TestInMemoryIndexUpkeep:
    """Selected by the mutation driver (its in-process cells run ``TestInMemory*``)."""

    def test_an_update_keeps_the_other_rows_of_its_old_value_findable(self) -> None:
        """Moving one row out of a value's bucket leaves the rest of the bucket in place."""
        database = InMemoryDatabase()
        seed: Any = InMemoryRepository(Reading, database=database)
        seed.bulk_insert([{"label": "a"}, {"label": "a"}, {"label": "a"}])
        seed.commit()
        reader: Any = InMemoryRepository(Reading, database=database)
        assert reader.count(label="a") == 3  # the equality index of label, built here
        writer: Any = InMemoryRepository(Reading, database=database)
        writer.get(2).label = "b"
        writer.commit()
        after: Any = InMemoryRepository(Reading, database=database)
        assert (_ids(after.list(label="a")), _ids(after.list(label="b"))) == ([1, 3], [2])
        assert (after.count(label="a"), after.count(label="b")) == (2, 1)

    def test_a_unique_value_an_update_gave_up_is_free_in_the_committed_index(self) -> None:
        """The committed unique index drops a row's old value when its update commits."""
        database = InMemoryDatabase()
        first: Any = InMemoryRepository(Product, database=database)
        moved = first.add(Product(sku="a"))  # the committed index of sku, built by this check
        first.commit()
        writer: Any = InMemoryRepository(Product, database=database)
        writer.get(moved.id).sku = "b"
        writer.commit()
        reuse: Any = InMemoryRepository(Product, database=database)
        reuse.add(Product(sku="a"))
        reuse.commit()
        assert sorted(p.sku for p in InMemoryRepository(Product, database=database).list()) == [
            "a",
            "b",
        ]
