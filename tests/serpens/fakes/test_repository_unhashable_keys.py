"""Lists and dicts as unique keys and filters, in the fake as on PostgreSQL itself.

An ``ARRAY`` or ``JSONB`` column can be unique on PostgreSQL, and any ``ARRAY`` column
can be filtered by a list. The fake keys its unique and equality indexes by value, and a
list or a dict is no dict key: it raised a bare ``TypeError`` on the first insert into
such a unique column, and on a filter by a list once a column's equality index held only
hashable values (NULLs). It now keys them by a hashable stand-in
(:func:`serpens._rules.repository.frozen`) that is equal exactly when the values are.
Neither type exists on SQLite, so these run here against PostgreSQL rather than in the
contract suite (whose ``PickleType`` case covers the shared part).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens._rules.repository import frozen, hashable
from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from tests.serpens.fakes._beside_postgresql import Step, assert_alike, engine_for


class _Base(DeclarativeBase):
    pass


class Route(_Base):
    __tablename__ = "fake_unhashable_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    stops: Mapped[list[int] | None] = mapped_column(ARRAY(sa.Integer), unique=True)
    legs: Mapped[list[int] | None] = mapped_column(ARRAY(sa.Integer))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB, unique=True)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    yield from engine_for(_Base, postgres_url)


class TestUnhashableKeysBesidePostgreSQL:
    def test_lists_and_dicts_conflict_filter_and_upsert_as_on_postgresql(
        self, engine: sa.Engine
    ) -> None:
        steps: list[Step] = [
            lambda r: r.count(legs=[1]),  # an equality index of NULLs only, then a list
            lambda r: r.add(Route(id=1, stops=[1, 2], legs=[1], meta={"a": 1, "b": [2]})).id,
            lambda r: r.add(Route(id=2, stops=[1, 2])).id,
            lambda r: r.add(Route(id=3, meta={"b": [2], "a": 1})).id,  # jsonb: key order
            lambda r: r.bulk_insert([{"id": 4, "stops": [2, 1]}, {"id": 5, "stops": []}]),
            lambda r: r.bulk_insert([{"id": 6, "stops": []}]),
            lambda r: r.get_by(stops=[1, 2]).id,
            lambda r: (r.count(legs=[1]), r.count(legs=[2]), r.exists(stops=[])),
            lambda r: (
                r.upsert(
                    {"id": 7, "stops": [2, 1], "legs": [9]},
                    conflict_on=["stops"],
                    update_fields=["legs"],
                ).id
            ),
            lambda r: r.upsert_many(
                [{"id": 8, "stops": [5]}, {"id": 9, "stops": [5]}], conflict_on=["stops"]
            ),
            lambda r: [(x.id, x.stops, x.legs) for x in r.list(order_by="stops")],
        ]
        outcomes = assert_alike(engine, Route, steps)
        assert outcomes[2] == [ConflictError, ConflictError]
        assert outcomes[3] == [ConflictError, ConflictError]
        assert outcomes[-1][0] == [(5, [], None), (1, [1, 2], [1]), (4, [2, 1], [9])]


class TestArraysBesidePostgreSQL:
    def test_a_tuple_is_stored_and_compared_as_the_list_read_back(self, engine: sa.Engine) -> None:
        steps: list[Step] = [
            lambda r: r.add(Route(id=1, stops=(3, 1), legs=(1, None))).id,
            lambda r: (r.get(1).stops, r.get(1).legs),
            lambda r: (r.count(stops=(3, 1)), r.count(stops=[3, 1]), r.count(legs=(1, None))),
            lambda r: r.add(Route(id=2, stops=[3, 1])).id,  # the same array
            lambda r: (
                r.upsert(
                    {"id": 3, "stops": (3, 1), "legs": [7]},
                    conflict_on=["stops"],
                    update_fields=["legs"],
                ).id
            ),
            lambda r: r.bulk_insert(
                [
                    {"id": 4, "legs": [1, 2]},
                    {"id": 5, "legs": [None]},
                    {"id": 6, "legs": [1]},
                    {"id": 7, "legs": [[1], [2]][0]},
                ]
            ),
            lambda r: [x.id for x in r.list(order_by=["legs", "id"])],
            lambda r: [x.id for x in r.list(order_by=["-legs", "id"])],
        ]
        outcomes = assert_alike(engine, Route, steps)
        assert outcomes[1][0] == ([3, 1], [1, None])
        assert outcomes[3][0] is ConflictError


class TestJsonbBesidePostgreSQL:
    def test_jsonb_reads_back_as_postgresql_stores_it(self, engine: sa.Engine) -> None:
        """Keys by length then bytes, integral floats in exponent form as ints, no NUL."""
        doc = {"bbb": 1, "a": {"zz": 1e20, "y": [1.5, 2e-7]}, "cc": "x", "a2": None}
        steps: list[Step] = [
            lambda r: r.add(Route(id=1, meta=doc)).id,
            lambda r: r.get(1).meta,
            lambda r: list(r.get(1).meta),
            lambda r: r.add(Route(id=2, meta={"s": "a\x00b"})).id,
            lambda r: r.add(Route(id=3, meta={"s": "a\ud800"})).id,
            lambda r: r.add(Route(id=4, meta={"a\x00": 1})).id,
        ]
        outcomes = assert_alike(engine, Route, steps)
        assert outcomes[2][0] == ["a", "a2", "cc", "bbb"]
        assert outcomes[1][0]["a"]["zz"] == 10**20  # type: ignore[index]
        assert [o[0] for o in outcomes[3:]] == [ValidationError] * 3


class TestInMemoryStandIns:
    """The stand-ins and what they serve, without a server (in the mutation driver's selection)."""

    def test_arrays_and_jsonb_as_postgresql_reads_them_back(self) -> None:
        repo: Any = InMemoryRepository(Route, database=InMemoryDatabase())
        meta = {"bb": 1e20, "c": [2e-7, 2.0]}  # 2.0 has no exponent: jsonb keeps it a float
        repo.add(Route(id=1, stops=((3, 1),), legs=(1, None), meta=meta))
        rows = [
            {"id": 2, "stops": [[1, None]], "legs": [1]},
            {"id": 3, "stops": [[1, 2]], "legs": [None]},
            {"id": 4, "stops": None, "legs": None},
        ]
        repo.bulk_insert(rows)
        repo.commit()
        fresh: Any = InMemoryRepository(Route, database=repo.database)
        first = fresh.get(1)
        assert (first.stops, first.legs) == ([[3, 1]], [1, None])
        assert list(first.meta) == ["c", "bb"]  # by length first
        assert type(first.meta["bb"]) is int
        assert type(first.meta["c"][1]) is float
        assert fresh.count(stops=((3, 1),), legs=(1, None)) == 1  # each tuple as its list
        assert [r.id for r in fresh.list(order_by=["legs", "id"])] == [2, 1, 3, 4]
        assert [r.id for r in fresh.list(order_by=["-legs", "id"])] == [4, 3, 1, 2]
        assert [r.id for r in fresh.list(order_by=["stops", "id"])] == [3, 2, 1, 4]
        kept = fresh.upsert(
            {"id": 9, "stops": ((3, 1),), "legs": [5]},
            conflict_on=["stops"],
            update_fields=["legs"],
        )
        assert (kept.id, kept.legs) == (1, [5])
        for meta in ({"s": "a\x00"}, {"a\ud800": 1}, ["\x00"]):
            with pytest.raises(ValidationError) as info:
                fresh.add(Route(meta=meta))
            assert [e.path for e in info.value.errors] == ["meta"]

    def test_a_stand_in_is_equal_exactly_when_the_values_are(self) -> None:
        equal = [([1, [2]], [1, [2]]), ({"a": 1, "b": 2}, {"b": 2, "a": 1}), ({1}, frozenset({1}))]
        for a, b in equal:
            assert frozen(a) == frozen(b)
            assert hash(frozen(a)) == hash(frozen(b))
        unequal = [([1, 2], (1, 2)), ([1, 2], [2, 1]), ({"a": [1]}, {"a": (1,)}), ([[1]], [1])]
        for a, b in unequal:
            assert a != b
            assert frozen(a) != frozen(b)
        assert hashable(("x", 1)) == ("x", 1)  # hashable keys are kept as they are
        assert frozen(bytearray(b"ab")) == b"ab"

    def test_a_value_neither_hashable_nor_picklable_is_a_typed_error(self) -> None:
        class Odd:
            __hash__ = None  # type: ignore[assignment]

            def __reduce__(self) -> str | tuple[Any, ...]:
                raise TypeError("no pickle")

        with pytest.raises(ValidationError, match="neither hashable nor picklable"):
            hashable([Odd()])
