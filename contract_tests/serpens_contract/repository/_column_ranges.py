"""Range and read-back cases of the Repository suite: values as PostgreSQL holds them.

Integers, floats and numerics past their column's range, zone-less times, binary and JSON
values read back as PostgreSQL returns them, numeric filters compared exactly, and aware
datetimes whose instant no column holds. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Color, Kind, Product, Shelf, Stamp
from serpens_contract.capabilities import requires
from serpens_contract.repository._shared import UTC_MINUS_3, _flush_refuses_then_stores


class ColumnRangeCases:
    """Cases on values past a column's range and on values read back."""

    def test_an_integer_past_its_columns_range_is_a_validation_error(
        self, db: RepositoryDatabase
    ) -> None:
        """``Integer`` holds PostgreSQL's ``INTEGER``: -2^31 to 2^31 - 1, both included.

        PostgreSQL refuses one more (SQLSTATE 22003); SQLite holds 64 bits and the fake
        any int, so both must refuse it as well, before any I/O, on every write. As a
        filter or key, asyncpg refuses it and psycopg2, SQLite and a dictionary match
        nothing: every backend refuses it.
        """
        products: Any = db.repository(Product)
        for over in (2**31, -(2**31) - 1):
            with pytest.raises(ValidationError) as info:
                products.add(Product(sku="a", price=over))
            assert [e.path for e in info.value.errors] == ["price"]
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([{"sku": "a", "price": 2**31 - 1}, {"sku": "b", "price": 2**31}])
        assert [e.path for e in info.value.errors] == ["rows[1].price"]
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([{"sku": "a", "price": None}, {"sku": "b", "price": -(2**31) - 1}])
        assert [e.path for e in info.value.errors] == ["rows[1].price"]
        assert products.count() == 0  # nothing stored, and the unit of work is usable
        obj = products.add(Product(sku="a", price=-(2**31), stock=2**31 - 1))
        with pytest.raises(ValidationError):
            products.upsert_many(
                [{"sku": "a", "price": 2**31}], conflict_on=["sku"], update_fields=["price"]
            )
        _flush_refuses_then_stores(products, obj, "price", 2**31, 2**31 - 1)
        db.commit(products)
        kinds: Any = db.repository(Kind)
        edges = {"small": 2**15, "big": 2**63, "units": 2**31}  # units: a decorated Integer
        for name, bound in edges.items():
            for over in (bound, -bound - 1):
                with pytest.raises(ValidationError) as info:
                    kinds.add(Kind(**{name: over}))
                assert [e.path for e in info.value.errors] == [name]
            with pytest.raises(ValidationError) as info:
                kinds.bulk_insert([{name: -bound}, {name: bound}])
            assert [e.path for e in info.value.errors] == [f"rows[1].{name}"]
        kinds.bulk_insert([{n: -b for n, b in edges.items()}, {n: b - 1 for n, b in edges.items()}])
        with pytest.raises(ValidationError):
            kinds.count(small=2**15)
        db.commit(kinds)
        stored = [(k.small, k.big, k.units) for k in db.repository(Kind).list(order_by="id")]
        assert stored == [(-(2**15), -(2**63), -(2**31)), (2**15 - 1, 2**63 - 1, 2**31 - 1)]
        fresh: Any = db.repository(Product)
        got = fresh.get(obj.id)
        assert (got.price, got.stock) == (2**31 - 1, 2**31 - 1)
        # a filter or key no column can hold: asyncpg refuses it, so every backend does
        assert fresh.count(price=2**31 - 1, stock=2**31 - 1) == 1
        refused: list[Callable[[], object]] = [
            lambda: fresh.get(2**31),
            lambda: fresh.get_by(id=-(2**31) - 1),
            lambda: fresh.count(price=2**31),
            lambda: fresh.list(stock=-(2**40)),
            lambda: fresh.exists(sku="a", price=2**63),
        ]
        for call in refused:
            with pytest.raises(ValidationError):
                call()

    def test_zone_less_times_and_binary_values_read_back_as_postgresql_returns_them(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``DateTime`` without a time zone refuses an aware datetime; a ``Time`` drops one.

        PostgreSQL's ``timestamp``: asyncpg refuses an aware value, while psycopg2 stored
        it converted to the session's zone and SQLite with its offset dropped (two other
        instants), so every backend refuses it, as a value or a filter. ``time``: every
        driver drops the ``tzinfo``. A binary column reads ``bytes`` back whatever
        bytes-like was written, and refuses a ``str`` (psycopg2 raised a bare
        ``TypeError``, the fake stored it).
        """
        kinds: Any = db.repository(Kind)
        local = dt.datetime(2024, 5, 6, 12, 30, 0, 123456)  # noqa: DTZ001 - naive, on purpose
        aware = dt.datetime(2024, 5, 6, 12, 30, tzinfo=UTC_MINUS_3)
        first = kinds.add(Kind(local=local, clock=dt.time(8, 15, 1, 5, tzinfo=dt.UTC)))
        kinds.add(Kind(data=bytearray(b"\x00\xff")))
        kinds.bulk_insert([{"data": memoryview(b"ab"), "clock": dt.time(23, 59)}])
        for bad in ({"local": aware}, {"data": "ab"}):
            with pytest.raises(ValidationError) as info:
                kinds.add(Kind(**bad))
            assert [e.path for e in info.value.errors] == list(bad)
            with pytest.raises(ValidationError) as info:
                kinds.bulk_insert([{**bad, "memo": "ok"}, {**bad, "memo": "ok"}])
            assert info.value.errors[0].path == f"rows[0].{next(iter(bad))}"
        with pytest.raises(ValidationError):
            kinds.count(local=aware)
        assert kinds.count(local=local) == 1
        db.commit(kinds)
        got = [(k.local, k.clock, k.data) for k in db.repository(Kind).list(order_by="id")]
        assert got == [
            (local, dt.time(8, 15, 1, 5), None),
            (None, None, b"\x00\xff"),
            (None, dt.time(23, 59), b"ab"),
        ]
        assert [type(data) for _, _, data in got[1:]] == [bytes, bytes]
        assert got[0][1] is not None
        assert got[0][1].tzinfo is None
        _flush_refuses_then_stores(kinds, first, "local", aware, local.replace(hour=13))

    def test_a_json_column_reads_back_its_json_text_and_refuses_what_has_none(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``JSON`` column stores its value's JSON text and reads that text back.

        The text is ``json.dumps``'s, SQLAlchemy's default serializer. So an int key comes
        back a string and a tuple a list, as PostgreSQL and SQLite return them (a
        dictionary would keep the value as given), and a value with no JSON text (a date, a
        ``Decimal``, a set, bytes, a tuple key) is a ``ValidationError`` that stores
        nothing. ``JSON.NULL`` reads back as ``None``.
        """
        kinds: Any = db.repository(Kind)
        kinds.add(Kind(tags={1: "a", "b": (1, 2.0, None, True, "\u00e9")}))
        kinds.bulk_insert([{"tags": ("x", "y")}, {"tags": None}])
        json_null: Any = getattr(Kind.__table__.c.tags.type, "NULL")  # noqa: B009 - sa.JSON.NULL
        kinds.add(Kind(tags=json_null))
        db.commit(kinds)
        got: list[Any] = [k.tags for k in db.repository(Kind).list(order_by="id")]
        assert got == [{"1": "a", "b": [1, 2.0, None, True, "\u00e9"]}, ["x", "y"], None, None]
        assert type(got[0]["b"][1]) is float
        fresh: Any = db.repository(Kind)
        for bad in (dt.date(2024, 1, 1), Decimal("1.5"), {1}, b"x", {(1, 2): "a tuple key"}):
            with pytest.raises(ValidationError):
                fresh.add(Kind(tags=["ok", bad]))
            with pytest.raises(ValidationError):
                fresh.bulk_insert([{"tags": ["ok"]}, {"tags": [bad]}])
        assert fresh.count() == 4  # nothing stored, and the unit of work is usable

    def test_a_float_column_reads_numbers_back_as_floats_and_refuses_what_no_double_holds(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``Float`` column reads an int or a ``Decimal`` back as a ``float``.

        ``Float`` is PostgreSQL's double precision (SQLite's REAL): both return floats,
        where a dictionary would keep what it was given.
        A number no double holds (an int past 1.8e308, a ``Decimal`` that overflows or a
        non-zero one that would become 0) is refused by PostgreSQL (SQLSTATE 22003),
        fails SQLite's driver with ``OverflowError`` and fits a dictionary: every backend
        refuses it with ``ValidationError``, before any I/O, as a value or a filter.
        """
        kinds: Any = db.repository(Kind)
        first = kinds.add(Kind(ratio=3))
        kinds.bulk_insert([{"ratio": 4}, {"ratio": Decimal("1.5")}, {"ratio": None}])
        tiny = Decimal("1E-320")  # a subnormal double: PostgreSQL keeps it
        kinds.bulk_insert([{"ratio": tiny}, {"ratio": Decimal(0)}, {"ratio": Decimal("-Infinity")}])
        kinds.upsert({"id": first.id + 10, "ratio": Decimal("-2.25")}, conflict_on=["id"])
        db.commit(kinds)
        got = [k.ratio for k in db.repository(Kind).list(order_by="id")]
        assert got == [3.0, 4.0, 1.5, None, float(tiny), 0.0, -math.inf, -2.25]
        assert [type(v) for v in got if v is not None] == [float] * 7
        fresh: Any = db.repository(Kind)
        assert fresh.count(ratio=4) == 1  # an int filter still matches by value
        for over in (10**309, -(10**309), Decimal("1E309"), Decimal("-1E-400")):
            with pytest.raises(ValidationError) as info:
                fresh.add(Kind(ratio=over))
            assert [e.path for e in info.value.errors] == ["ratio"]
            with pytest.raises(ValidationError) as info:
                fresh.bulk_insert([{"ratio": 1}, {"ratio": over}])
            assert [e.path for e in info.value.errors] == ["rows[1].ratio"]
            with pytest.raises(ValidationError):
                fresh.count(ratio=over)
        assert fresh.count() == 8  # nothing stored, and the unit of work is usable
        obj = fresh.get(first.id)
        _flush_refuses_then_stores(fresh, obj, "ratio", Decimal("1E400"), 2**1000)

    def test_a_number_past_a_numeric_columns_precision_is_a_validation_error(
        self, db: RepositoryDatabase
    ) -> None:
        """``Numeric(6, 2)`` holds numbers that round to less than 10^4, and no infinity.

        PostgreSQL rounds to the scale, then refuses a fifth digit before the point
        (``9999.995`` rounds to ``10000.00``) or an infinite value (SQLSTATE 22003);
        SQLite and the fake must refuse them as well, before any I/O. A number that fits
        reads back as a ``Decimal`` at the column's scale, an int included.
        """
        with pytest.raises(ValidationError) as info:  # a decorated Numeric(38, 10)
            db.repository(Kind).add(Kind(amount=Decimal("1E28")))
        assert [e.path for e in info.value.errors] == ["amount"]
        stamps: Any = db.repository(Stamp)
        for over in (Decimal("9999.995"), Decimal(-10000), 10**4, Decimal("Infinity")):
            with pytest.raises(ValidationError) as info:
                stamps.add(Stamp(ratio=over))
            assert [e.path for e in info.value.errors] == ["ratio"]
        with pytest.raises(ValidationError) as info:
            stamps.bulk_insert([{"ratio": 9999}, {"ratio": 10000}])
        assert [e.path for e in info.value.errors] == ["rows[1].ratio"]
        with pytest.raises(ValidationError) as info:
            stamps.bulk_insert([{"ratio": Decimal("1.5")}, {"ratio": float("-inf")}])
        assert [e.path for e in info.value.errors] == ["rows[1].ratio"]
        assert stamps.count() == 0  # nothing stored, and the unit of work is usable
        obj = stamps.add(Stamp(ratio=-9999))
        with pytest.raises(ValidationError):
            stamps.upsert(
                {"id": obj.id, "ratio": 10**5}, conflict_on=["id"], update_fields=["ratio"]
            )
        _flush_refuses_then_stores(stamps, obj, "ratio", Decimal("-9999.995"), 9999)
        stamps.bulk_insert([{"ratio": 3}])
        db.commit(stamps)
        fresh: Any = db.repository(Stamp)
        got = [row.ratio for row in fresh.list(order_by="id")]
        assert got == [Decimal("9999.00"), Decimal("3.00")]
        assert [type(value) for value in got] == [Decimal, Decimal]
        assert [str(value) for value in got] == ["9999.00", "3.00"]

    def test_a_numeric_filter_compares_exactly_not_at_the_columns_scale(
        self, db: RepositoryDatabase
    ) -> None:
        """A filter on ``Numeric(6, 2)`` finds only the numbers the column holds.

        ``1.10`` is stored; ``1.104`` and ``1.095`` round to it but are not it: no row, as
        on psycopg2, SQLite and the fake (SQLAlchemy's asyncpg dialect cast the filter to
        the column's ``NUMERIC(6, 2)``, which rounded it and found the row). A float filter
        is its shortest text (``1.1``, as psycopg2 sends it: asyncpg sent its binary value
        and the fake compared a float with a ``Decimal``), and a ``Decimal`` filter on a
        ``Float`` column is that double (``Decimal("0.1")`` finds ``0.1``, as on PostgreSQL).
        """
        kinds: Any = db.repository(Kind)
        kinds.add(Kind(ratio=0.1))
        assert kinds.count(ratio=Decimal("0.1")) == kinds.count(ratio=0.1) == 1
        db.close_unit_of_work(kinds)  # SQLite: one writer at a time
        stamps: Any = db.repository(Stamp)
        stamps.add(Stamp(ratio=Decimal("1.10")))
        db.commit(stamps)
        fresh: Any = db.repository(Stamp)
        assert fresh.count(ratio=Decimal("1.1")) == fresh.count(ratio=Decimal("1.100")) == 1
        assert fresh.count(ratio=1.1) == 1  # a float by its shortest text, as psycopg2 sends it
        for near in (Decimal("1.104"), Decimal("1.095"), Decimal("1.1049999"), 1.104):
            assert fresh.count(ratio=near) == 0, near
            assert fresh.get_by(ratio=near) is None, near
        assert [s.ratio for s in fresh.list(ratio=Decimal("1.10"))] == [Decimal("1.10")]

    def test_upsert_many_refuses_two_rows_whose_keys_the_column_stores_alike(
        self, db: RepositoryDatabase
    ) -> None:
        """Conflict keys are compared as the column stores them: rounded to its scale.

        ``1.01`` and ``1.005`` are one key of ``Numeric(6, 2)`` (a float rounds from its
        shortest text, as psycopg2 sends it, not from its binary value, 1.00499...): the
        batch is a ``ValidationError`` naming the second row, as for two equal keys.
        PostgreSQL would update one row twice (psycopg2: SQLSTATE 21000; asyncpg kept one
        row silently), SQLite stored both, the fake raised ``ConflictError``.
        """
        kinds: Any = db.repository(Kind)
        twins = [{"id": 1, "tally": Decimal("1.01")}, {"id": 2, "tally": 1.005}]
        for fields in (None, ["id"]):
            with pytest.raises(ValidationError) as info:
                kinds.upsert_many(twins, conflict_on=["tally"], update_fields=fields)
            assert [e.path for e in info.value.errors] == ["rows[1]"]
        assert kinds.count() == 0  # nothing stored, and the unit of work is usable
        apart = [twins[0], {"id": 2, "tally": Decimal("1.004")}]
        assert kinds.upsert_many(apart, conflict_on=["tally"]) == 2
        assert sorted(k.tally for k in kinds.list()) == [Decimal("1.00"), Decimal("1.01")]

    def test_upsert_many_compares_each_column_of_a_composite_key_as_it_stores_it(
        self, db: RepositoryDatabase
    ) -> None:
        """Every column of a composite conflict key compares as that column stores it.

        ``(Color.RED, 1.01)`` and ``("RED", 1.005)`` are one key of an ``Enum`` and a
        ``Numeric(6, 2)``: a ``ValidationError`` naming the second row. Rows apart in
        either column are apart: all of them are stored (as ``Decimal``s: the drivers read
        a float written to a ``Numeric`` column differently, see the repository guide).
        """
        shelves: Any = db.repository(Shelf)
        twins = [{"color": Color.RED, "width": Decimal("1.01")}, {"color": "RED", "width": 1.005}]
        with pytest.raises(ValidationError) as info:
            shelves.upsert_many(twins, conflict_on=["color", "width"])
        assert [e.path for e in info.value.errors] == ["rows[1]"]
        assert shelves.count() == 0
        apart = [
            twins[0],
            {"color": "RED", "width": Decimal("1.02")},  # the same color
            {"color": Color.GREEN, "width": Decimal("1.01")},  # the same width
        ]
        assert shelves.upsert_many(apart, conflict_on=["color", "width"]) == 3
        stored = sorted((s.color.name, s.width) for s in shelves.list())
        assert stored == [
            ("GREEN", Decimal("1.01")),
            ("RED", Decimal("1.01")),
            ("RED", Decimal("1.02")),
        ]

    def test_an_upsert_finds_the_row_whose_enum_key_it_names(self, db: RepositoryDatabase) -> None:
        """An upsert's conflict value finds the stored row holding it as its column stores it.

        ``"RED"`` finds the row holding ``Color.RED``: PostgreSQL and SQLite update or keep
        that row (SQLAlchemy sends the member's name either way). The fake compared the
        name with the member it stores, found no row, and its insert then failed with
        ``ConflictError``.
        """
        shelves: Any = db.repository(Shelf)
        stored = shelves.add(Shelf(color=Color.RED, width=Decimal("1.01")))
        db.commit(shelves)
        shelves = db.repository(Shelf)
        key = {"color": "RED", "width": Decimal("1.01")}
        assert shelves.upsert(key, conflict_on=["color", "width"]).id == stored.id
        assert shelves.upsert_many([key], conflict_on=["color", "width"]) == 1
        assert shelves.count() == 1

    @requires("exact_decimal")
    def test_an_upsert_finds_the_row_whose_numeric_key_its_value_rounds_to(
        self, db: RepositoryDatabase
    ) -> None:
        """``1.005`` finds the row holding ``1.01`` in ``Numeric(6, 2)``, as PostgreSQL rounds.

        PostgreSQL rounds the proposed row's value to the column's scale before it looks
        for the conflict, and updates the stored row; the fake looked for the value as
        given, found nothing and failed its insert with ``ConflictError``.
        """
        kinds: Any = db.repository(Kind)
        kinds.add(Kind(tally=Decimal("1.01"), memo="old"))
        db.commit(kinds)
        kinds = db.repository(Kind)
        for given, memo in ((1.005, "float"), (Decimal("1.005"), "decimal")):
            kinds.upsert(
                {"tally": given, "memo": memo}, conflict_on=["tally"], update_fields=["memo"]
            )
            db.commit(kinds)
            assert [(k.tally, k.memo) for k in db.repository(Kind).list()] == [
                (Decimal("1.01"), memo)
            ]
            kinds = db.repository(Kind)
        rows = [{"tally": 1.005, "memo": "many"}]
        assert kinds.upsert_many(rows, conflict_on=["tally"], update_fields=["memo"]) == 1
        db.commit(kinds)
        kinds = db.repository(Kind)
        kept = kinds.upsert({"tally": Decimal("1.005"), "memo": "kept"}, conflict_on=["tally"])
        assert (kept.tally, kept.memo) == (Decimal("1.01"), "many")  # DO NOTHING: the row read
        assert [(k.tally, k.memo) for k in db.repository(Kind).list()] == [
            (Decimal("1.01"), "many")
        ]

    def test_an_aware_datetime_whose_instant_is_past_year_9999_is_a_validation_error(
        self, db: RepositoryDatabase
    ) -> None:
        """An aware datetime whose instant in UTC is outside years 1 to 9999 is refused.

        ``datetime(9999, 12, 31, 22, tzinfo=-05:00)`` is a valid Python value whose instant
        is in year 10000: no datetime holds it in UTC. It failed with a bare
        ``OverflowError`` (the fake, ``UTCDateTime``), and psycopg2 stored it into
        ``timestamptz`` where no later read could load it. A ``ValidationError`` naming the
        column, as a value, a filter or a batch row, before any I/O.
        """
        late = dt.datetime(9999, 12, 31, 22, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
        early = dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        kinds: Any = db.repository(Kind)
        for instant in (late, early):
            with pytest.raises(ValidationError) as info:
                kinds.add(Kind(at=instant))
            assert [e.path for e in info.value.errors] == ["at"]
            with pytest.raises(ValidationError) as info:
                kinds.count(at=instant)
            assert [e.path for e in info.value.errors] == ["at"]
            with pytest.raises(ValidationError) as info:
                kinds.bulk_insert([{"at": late.replace(year=2026)}, {"at": instant}])
            assert [e.path for e in info.value.errors] == ["rows[1].at"]
        edge = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC)  # the last minute still fits
        kinds.add(Kind(at=edge))
        assert kinds.count() == 1
        assert kinds.count(at=edge) == 1
