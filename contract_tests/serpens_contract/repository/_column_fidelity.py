"""PostgreSQL-fidelity cases of the Repository suite: what each backend must do alike.

JSON columns take no filter or order, an ``Enum`` orders by its stored names, a text UUID
takes its canonical spelling only, keys come from a sequence (``sequence_keys``), decimals
keep their scale (``exact_decimal``) and server defaults fill what an insert leaves out.
Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ConflictError, ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Color, Kind, Product, Stamp, Tone
from serpens_contract.capabilities import requires
from serpens_contract.repository._shared import UTC_MINUS_3


class ColumnFidelityCases:
    """Cases on ordering, filtering and defaults that must match PostgreSQL's."""

    def test_a_json_column_takes_no_equality_filter_and_no_order(
        self, db: RepositoryDatabase
    ) -> None:
        """Filtering or ordering by a ``JSON`` column is a ``ValidationError``, before any I/O.

        PostgreSQL's ``json`` has no ``=`` and no order (SQLSTATE 42883, and the failed
        read aborted the transaction), SQLite compared the text, the fake crashed with
        ``TypeError`` (a list is unhashable, dicts do not order).
        """
        kinds: Any = db.repository(Kind)
        kinds.bulk_insert([{"tags": ["a"]}, {"tags": ["b", "c"]}])
        refused: list[tuple[Callable[[], object], str]] = [
            (lambda: kinds.count(tags=["a"]), "tags"),
            (lambda: kinds.get_by(tags=["a"]), "tags"),
            (lambda: kinds.list(tags={"a": 1}), "tags"),
            (lambda: kinds.list(order_by="tags"), "order_by"),
            (lambda: kinds.paginate(order_by=["-tags"]), "order_by"),
        ]
        for call, path in refused:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert kinds.count() == 2  # the unit of work is usable

    def test_a_unique_pickled_column_takes_lists_and_dicts_as_keys(
        self, db: RepositoryDatabase
    ) -> None:
        """A unique ``PickleType`` column's lists and dicts conflict, filter and upsert.

        PostgreSQL and SQLite compare the pickled bytes: an equal list is a duplicate and
        finds its row, in every write and every filter. The fake indexed the raw values
        and raised a bare ``TypeError`` (a list is unhashable) on the first insert.
        """
        kinds: Any = db.repository(Kind)
        first = kinds.add(Kind(shape=[1, [2, 3]]))
        kinds.bulk_add([Kind(shape={"k": [1]}), Kind(shape=(1, 2))])
        kinds.bulk_insert([{"shape": ["x"]}, {"shape": None}, {"shape": None}])
        db.commit(kinds)
        duplicates: list[Callable[[Any], object]] = [
            lambda r: r.add(Kind(shape=[1, [2, 3]])),
            lambda r: r.bulk_add([Kind(shape=[9]), Kind(shape={"k": [1]})]),
            lambda r: r.bulk_insert([{"shape": ["x"]}]),
            lambda r: r.upsert(
                {"id": first.id, "shape": ["x"]}, conflict_on=["id"], update_fields=["shape"]
            ),
        ]
        for write in duplicates:
            with pytest.raises(ConflictError):
                write(db.repository(Kind))
        with pytest.raises(ValidationError):  # one batch naming a conflict key twice
            db.repository(Kind).upsert_many(
                [{"shape": [7], "memo": "a"}, {"shape": [7], "memo": "b"}], conflict_on=["shape"]
            )
        kinds = db.repository(Kind)
        assert kinds.get_by(shape=[1, [2, 3]]).id == first.id
        assert (kinds.count(shape={"k": [1]}), kinds.count(shape=[1, 2])) == (1, 0)
        assert kinds.exists(shape=(1, 2))
        assert not kinds.exists(shape=[1])
        kept = kinds.upsert(
            {"shape": ["x"], "memo": "m"}, conflict_on=["shape"], update_fields=["memo"]
        )
        assert (
            kinds.upsert_many(
                [{"shape": {"k": [1]}, "memo": "n"}], conflict_on=["shape"], update_fields=["memo"]
            )
            == 1
        )
        db.commit(kinds)
        fresh: Any = db.repository(Kind)
        assert (fresh.get_by(shape=["x"]).id, fresh.get_by(shape=["x"]).memo) == (kept.id, "m")
        assert fresh.get_by(shape={"k": [1]}).memo == "n"
        assert fresh.count() == 6

    def test_a_json_column_keeps_the_text_it_was_given(self, db: RepositoryDatabase) -> None:
        """A ``JSON`` column reads back its object's keys in the order written, and a NUL.

        PostgreSQL's ``json`` keeps the text (``jsonb`` would sort the keys and refuse the
        NUL; the fake does that for ``JSONB`` columns only).
        """
        kinds: Any = db.repository(Kind)
        written: Any = {"bb": 1e20, "c": "a\x00"}  # an object in a column of lists
        kind = kinds.add(Kind(tags=written))
        db.commit(kinds)
        stored: Any = db.repository(Kind).get_or_raise(kind.id).tags
        assert list(stored.items()) == [("bb", 1e20), ("c", "a\x00")]
        assert type(stored["bb"]) is float

    def test_an_enum_column_orders_by_what_it_stores_not_as_members_compare(
        self, db: RepositoryDatabase
    ) -> None:
        """A non-native ``Enum`` column sorts by its stored strings (the member names).

        ``Color``'s members do not order at all (the fake crashed with ``TypeError``);
        ``Tone`` is a ``StrEnum`` whose values sort the other way round from its names
        (the fake followed the values). Committed and pending rows, both directions,
        NULLs last ascending.
        """
        kinds: Any = db.repository(Kind)
        kinds.bulk_insert([{"color": Color.RED}, {"color": None}, {"color": Color.GREEN}])
        db.commit(kinds)
        kinds = db.repository(Kind)
        kinds.add(Kind(color=Color.RED))
        expected = [Color.GREEN, Color.RED, Color.RED, None]
        assert [k.color for k in kinds.list(order_by="color")] == expected
        assert [k.color for k in kinds.list(order_by="-color")] == [None, *expected[2::-1]]
        rows, total = kinds.paginate(page=1, size=2, order_by="color")
        assert ([k.color for k in rows], total) == (expected[:2], 4)
        db.close_unit_of_work(kinds)  # SQLite: one writer at a time
        stamps: Any = db.repository(Stamp)
        stamps.bulk_insert([{"tone": Tone.LIGHT}, {"tone": Tone.DARK}])
        db.commit(stamps)
        stamps = db.repository(Stamp)
        stamps.add(Stamp(tone=Tone.LIGHT))
        assert [s.tone for s in stamps.list(order_by="tone")] == [Tone.DARK, Tone.LIGHT, Tone.LIGHT]
        assert [s.tone for s in stamps.list(order_by="-tone")] == [
            Tone.LIGHT,
            Tone.LIGHT,
            Tone.DARK,
        ]

    def test_a_text_uuid_column_takes_the_canonical_spelling_only(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``Uuid(as_uuid=False)`` column takes a UUID's canonical text, nothing else.

        Backends disagreed on every other spelling: PostgreSQL read uppercase, hyphenless
        and braced text back canonical, asyncpg refused braces, SQLite stored the case
        given (a lowercase filter then missed the row) and stored ``"not-a-uuid"`` only to
        fail every read with a bare ``ValueError``, the fake kept each as given. Each is a
        ``ValidationError`` naming the column, written or filtered, before any I/O.
        """
        canonical = "12345678-1234-5678-1234-56781234abcd"
        kinds: Any = db.repository(Kind)
        kinds.add(Kind(ref_text=canonical))
        kinds.bulk_insert([{"ref_text": str(uuid.UUID(int=7))}])
        for spelling in (
            canonical.upper(),
            canonical.replace("-", ""),
            "{" + canonical + "}",
            "urn:uuid:" + canonical,
            "not-a-uuid",
            canonical[:-1],
        ):
            with pytest.raises(ValidationError) as info:
                kinds.add(Kind(ref_text=spelling))
            assert [e.path for e in info.value.errors] == ["ref_text"], spelling
            with pytest.raises(ValidationError) as info:
                kinds.count(ref_text=spelling)
            assert [e.path for e in info.value.errors] == ["ref_text"], spelling
            with pytest.raises(ValidationError) as info:
                kinds.bulk_insert([{"ref_text": canonical}, {"ref_text": spelling}])
            assert [e.path for e in info.value.errors] == ["rows[1].ref_text"], spelling
        db.commit(kinds)
        fresh: Any = db.repository(Kind)
        assert fresh.count(ref_text=canonical) == 1
        assert sorted(k.ref_text for k in fresh.list()) == [
            "00000000-0000-0000-0000-000000000007",
            canonical,
        ]

    @requires("sequence_keys")
    def test_an_upsert_that_conflicts_still_takes_a_key_from_the_sequence(
        self, db: RepositoryDatabase
    ) -> None:
        """An upsert's proposed row takes its generated key before the conflict is found.

        On PostgreSQL each upsert of a row without a key evaluates the key's default
        (``nextval``) for the row its ``INSERT`` proposes, so the sequence moves on though
        the conflict updates, or leaves alone, the stored row: after ``a``, two upserts of
        ``a`` and an ``upsert_many`` of ``a`` and ``b``, the next product gets ``a``'s key
        plus 5. The fake handed out keys only for rows it inserted (plus 2).
        """
        products: Any = db.repository(Product)
        first = products.add(Product(sku="a")).id
        products.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"], update_fields=["name"])
        products.upsert({"sku": "a"}, conflict_on=["sku"])
        products.upsert_many([{"sku": "a"}, {"sku": "b"}], conflict_on=["sku"])
        db.commit(products)
        assert products.get_by(sku="b").id == first + 4
        assert db.repository(Product).add(Product(sku="c")).id == first + 5

    @requires("sequence_keys")
    def test_a_generated_key_may_collide_with_an_explicit_one_as_on_postgresql(
        self, products: Any
    ) -> None:
        """Generated keys come from a sequence that explicit keys do not advance.

        On PostgreSQL a row written with ``id=2`` leaves the sequence where it was: the
        next generated keys are 1, then 2, which collides (``ConflictError``; the
        sequence moved on, so the next add gets 3). The fake skipped keys in use, so a test
        seeding explicit keys passed there and failed in production.
        """
        products.add(Product(id=2, sku="explicit"))
        assert products.add(Product(sku="first")).id == 1
        with pytest.raises(ConflictError):
            products.add(Product(sku="second"))
        assert products.add(Product(sku="third")).id == 3
        products.bulk_insert([{"id": 5, "sku": "bulk"}])
        assert products.add(Product(sku="fourth")).id == 4
        with pytest.raises(ConflictError):
            products.add(Product(sku="fifth"))
        assert sorted(p.id for p in products.list()) == [1, 2, 3, 4, 5]

    @requires("exact_decimal")
    def test_a_decimal_is_kept_exactly_at_the_columns_scale(self, db: RepositoryDatabase) -> None:
        """38 significant digits survive every write; a longer scale rounds half away from 0.

        ``Numeric(38, 10)`` keeps ``1234567890123456789012345678.0123456789`` through
        ``add``, ``bulk_insert`` and ``upsert_many`` (a driver path that made a float of
        it keeps 17 digits), an eleventh decimal rounded away; ``Numeric(6, 2)`` stores
        ``1.005`` as ``1.01`` and ``-1.005`` as ``-1.01``, as PostgreSQL rounds, and
        ``-0.004`` as ``0.00`` (PostgreSQL has no negative zero).
        """
        big = Decimal("1234567890123456789012345678.0123456789")
        kinds: Any = db.repository(Kind)
        kinds.add(Kind(id=1, amount=big))
        kinds.bulk_insert([{"id": 2, "amount": -big}, {"id": 3, "amount": Decimal("1E-10")}])
        kinds.upsert_many(
            [
                {"id": 4, "amount": Decimal("123456789012345678901234567.80123456789")},
                {"id": 5, "amount": Decimal("0.00000000005")},
            ],
            conflict_on=["id"],
        )
        stamps: Any = db.repository(Stamp)
        stamps.bulk_insert([{"ratio": Decimal("1.005")}, {"ratio": Decimal("-1.005")}])
        stamps.add(Stamp(ratio=Decimal("2.675")))
        stamps.add(Stamp(ratio=Decimal("-0.004")))  # rounds to zero: PostgreSQL has no -0
        db.commit(kinds)
        db.commit(stamps)
        amounts = [k.amount for k in db.repository(Kind).list(order_by="id")]
        assert amounts == [
            big,
            -big,
            Decimal("1E-10"),
            Decimal("123456789012345678901234567.8012345679"),
            Decimal("1E-10"),
        ]
        ratios = [s.ratio for s in db.repository(Stamp).list(order_by="id")]
        assert [str(r) for r in ratios] == ["1.01", "-1.01", "2.68", "0.00"]

    @requires("exact_decimal")
    def test_a_float_in_a_numeric_column_reads_back_as_the_decimal_stored(
        self, db: RepositoryDatabase
    ) -> None:
        """A float written to ``Numeric(6, 2)`` reads back as the ``Decimal`` at its scale.

        The drivers send a float as its shortest text, which the column rounds half away
        from zero: ``1.005`` is stored as ``1.01``, ``2.675`` as ``2.68``. The fake kept
        the float itself (``1.5``, not ``Decimal("1.50")``), and asyncpg's binary COPY
        (``bulk_insert``) took the float's exact binary value (``1.00499...``: ``1.00``).
        """
        stamps: Any = db.repository(Stamp)
        stamps.add(Stamp(ratio=1.5))
        stamps.bulk_insert([{"ratio": 1.005}, {"ratio": -2.675}, {"ratio": 0.001}])
        db.commit(stamps)
        ratios = [s.ratio for s in db.repository(Stamp).list(order_by="id")]
        assert [(type(r), str(r)) for r in ratios] == [
            (Decimal, "1.50"),
            (Decimal, "1.01"),
            (Decimal, "-2.68"),
            (Decimal, "0.00"),
        ]

    @requires("exact_decimal")
    def test_an_added_object_keeps_its_values_until_it_is_loaded_again(
        self, db: RepositoryDatabase
    ) -> None:
        """A flush sends an object's values; it does not read them back as stored.

        The added object keeps ``1.005`` and its ``-03:00`` datetime through ``get`` in its
        unit of work and through the commit (serpens' sessions keep objects loaded after
        it, ``expire_on_commit=False``), as SQLAlchemy leaves them; a new unit of work
        loads what the database stored: ``1.01`` and the same instant in UTC. So does an
        object updated by a flush (the fake read the stored row back into it).
        """
        at = dt.datetime(2024, 5, 6, 12, 0, tzinfo=UTC_MINUS_3)
        stamps: Any = db.repository(Stamp)
        obj = stamps.add(Stamp(note="a", ratio=Decimal("1.005"), made_at=at))
        assert stamps.get(obj.id) is obj
        db.commit(stamps)
        assert (str(obj.ratio), obj.made_at.tzinfo) == ("1.005", UTC_MINUS_3)
        stored = db.repository(Stamp).get_or_raise(obj.id)
        assert (str(stored.ratio), stored.made_at) == ("1.01", at)
        assert stored.made_at.utcoffset() == dt.timedelta(0)
        updates: Any = db.repository(Stamp)  # an update's flush, likewise
        loaded = updates.get_or_raise(obj.id)
        loaded.ratio, loaded.made_at = Decimal("2.345"), at
        updates.flush()
        assert (str(loaded.ratio), loaded.made_at.tzinfo) == ("2.345", UTC_MINUS_3)
        db.commit(updates)
        assert str(db.repository(Stamp).get_or_raise(obj.id).ratio) == "2.35"

    def test_bulk_insert_of_rows_naming_no_field_stores_a_row_each(
        self, db: RepositoryDatabase
    ) -> None:
        """``bulk_insert([{}, {}])`` inserts one row per dict, every column its default.

        With no Python-side default to fill in, the batch names no column at all: asyncpg's
        ``COPY`` path and then SQLite's executemany raised a bare ``TypeError`` on it.
        """
        kinds: Any = db.repository(Kind)
        assert kinds.bulk_insert([{}, {}, {}]) == 3
        db.commit(kinds)
        rows = db.repository(Kind).list(order_by="id")
        assert len(rows) == 3
        assert len({r.id for r in rows}) == 3  # a key each
        assert {(r.flag, r.day, r.color, r.memo, r.tally) for r in rows} == {(None,) * 5}

    def test_server_defaults_fill_the_columns_an_insert_leaves_out(
        self, db: RepositoryDatabase
    ) -> None:
        """An ``Identity()`` key numbers rows; ``now()`` and ``CURRENT_TIMESTAMP`` stamp them.

        Literal server defaults read back as values of their column's type.

        The values are read back in a new unit of work (a server default is the database's,
        not the object's, until it is loaded); both stamps are the insert's time in UTC, to
        the second (SQLite keeps whole seconds). Rows naming no field at all take every
        default too, Python-side ones computed per row.
        """
        stamps: Any = db.repository(Stamp)
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first = stamps.add(Stamp(note="a"))
        stamps.bulk_insert([{"note": "b"}, {"note": None}])
        assert stamps.bulk_insert([{}, {}]) == 2
        db.commit(stamps)
        after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        fresh: Any = db.repository(Stamp)
        rows = fresh.list(order_by="id")
        assert [r.note for r in rows] == ["a", "b", None, None, None]
        assert len({r.ref for r in rows}) == len(rows)  # a Python-side default per row
        for row in rows:
            assert (row.state, row.tries, row.owner, row.ratio, row.active) == (
                "new",
                0,
                "o'neil",
                Decimal("-1.25"),
                True,
            )
            assert type(row.tries) is int
            assert type(row.active) is bool
        assert rows[0].id == first.id
        assert [r.id for r in rows] == sorted({r.id for r in rows})
        for row in rows:
            for stamp in (row.made_at, row.seen_at):
                assert stamp.utcoffset() == dt.timedelta(0)
                assert before <= stamp <= after, (before, stamp, after)
