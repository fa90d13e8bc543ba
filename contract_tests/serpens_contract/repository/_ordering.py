"""Filter, ordering, window, pagination and seek cases of the Repository suite.

Filters are equality, NULLs sort last ascending, ``limit``/``offset`` window the ordered
rows, ``paginate`` reports the true total, and ``seek`` walks every row once and refuses
a cursor or an order it cannot hold. Mixed into ``RepositoryContract``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from serpens.errors import ValidationError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Product, Stamp
from serpens_contract.repository._shared import TAMPERED_CURSORS, _cursor, _skus, _sorted_skus


class OrderingAndPagingCases:
    """Cases on filters, ordering, windows, pages and keyset walks."""

    # -- filters, ordering and windows ---------------------------------------------------
    def _seed(self, products: Any) -> None:
        products.bulk_add(
            [
                Product(sku="a", name="x", price=2),
                Product(sku="b", name=None, price=None),
                Product(sku="c", name="y", price=1),
                Product(sku="d", name="x", price=2),
                Product(sku="e", name="x", price=None),
            ]
        )

    def test_filters_are_equality_and_none_means_null(self, products: Any) -> None:
        self._seed(products)
        assert _skus(products.list(name="x")) == ["a", "d", "e"]
        assert _skus(products.list(name=None)) == ["b"]
        assert _skus(products.list(name="x", price=None)) == ["e"]
        assert products.get_by(name="x").sku == "a"
        for filters in ({}, {"name": "x"}, {"price": None}, {"name": "zzz"}, {"name": "y"}):
            count = products.count(**filters)
            assert count == len(products.list(**filters))
            assert products.exists(**filters) is (count > 0)

    def test_order_defaults_to_the_key_and_nulls_sort_last_ascending(self, products: Any) -> None:
        self._seed(products)
        assert _skus(products.list()) == ["a", "b", "c", "d", "e"]
        assert _skus(products.list(order_by="price")) == ["c", "a", "d", "b", "e"]
        assert _skus(products.list(order_by="-price")) == ["b", "e", "a", "d", "c"]
        assert _skus(products.list(order_by=["name", "-price"])) == ["e", "a", "d", "c", "b"]
        assert _skus(products.list(order_by=[Product.price.desc()])) == ["b", "e", "a", "d", "c"]
        assert _skus(products.list(order_by=Product.price.asc())) == ["c", "a", "d", "b", "e"]
        assert _skus(products.list(order_by=[Product.name.asc(), Product.price.desc()])) == [
            "e",
            "a",
            "d",
            "c",
            "b",
        ]
        assert _skus(products.list(order_by=Product.name)) == ["a", "d", "e", "c", "b"]

    def test_order_holds_over_committed_and_pending_rows_as_they_change(
        self, db: RepositoryDatabase
    ) -> None:
        """Committed rows and a unit's own pending writes come back in one order.

        Rows committed before and after a first ordered read, then the unit's own pending
        adds and changes: NULLs last ascending, first descending, the key breaking ties.
        """
        orders = [["price"], ["-price"], ["name", "-price"], ["-sku"], ["-name", "price"]]
        seed: Any = db.repository(Product)
        self._seed(seed)
        db.commit(seed)
        reader: Any = db.repository(Product)
        for order in orders:  # a first ordered read of the committed rows
            assert _skus(reader.list(order_by=order)) == _sorted_skus(reader.list(), order)
        db.commit(reader)  # ends its read (SQLite locks the file for writers meanwhile)
        later: Any = db.repository(Product)
        later.bulk_add([Product(sku="f", name="y", price=2), Product(sku="g", price=0)])
        later.get_by(sku="a").price = None
        later.get_by(sku="e").name = "w"
        later.flush()
        db.commit(later)
        products: Any = db.repository(Product)
        for order in orders:
            assert _skus(products.list(order_by=order)) == _sorted_skus(products.list(), order)
        products.bulk_add([Product(sku="h", name="x", price=1), Product(sku="i", price=5)])
        products.get_by(sku="c").price = 9
        products.get_by(sku="b").name = "a"
        products.flush()
        for order in orders:
            assert _skus(products.list(order_by=order)) == _sorted_skus(products.list(), order)
        seen: list[str] = []
        page = products.seek(limit=2, order_by="-sku")
        while True:
            seen += _skus(page.items)
            if page.next_cursor is None or len(seen) > 9:  # a runaway walk fails, not hangs
                break
            page = products.seek(after=page.next_cursor, limit=2, order_by="-sku")
        assert seen == ["i", "h", "g", "f", "e", "d", "c", "b", "a"]

    def test_limit_and_offset_window_the_ordered_rows(self, products: Any) -> None:
        self._seed(products)
        assert _skus(products.list(order_by="-sku", limit=2, offset=1)) == ["d", "c"]
        assert _skus(products.list(limit=0)) == []
        assert _skus(products.list(offset=4)) == ["e"]
        assert _skus(products.list(offset=9)) == []
        for bad in ({"limit": -1}, {"offset": -1}, {"limit": 2**63}, {"offset": 2**63}):
            with pytest.raises(ValidationError):  # past PostgreSQL's bigint: 22003 there
                products.list(**bad)
        assert len(products.list(limit=2**63 - 1)) == 5
        assert products.list(offset=2**63 - 1) == []
        huge = products.paginate(page=2**62, size=1000)
        assert (list(huge.items), huge.total) == ([], 5)

    def test_paginate_reports_the_true_total_on_every_page(self, products: Any) -> None:
        empty = products.paginate(page=1, size=2)
        assert (list(empty.items), empty.total, empty.pages) == ([], 0, 0)
        self._seed(products)
        page = products.paginate(page=2, size=2, order_by="-sku")
        assert (_skus(page.items), page.total, page.page, page.size, page.pages) == (
            ["c", "b"],
            5,
            2,
            2,
            3,
        )
        rows, total = products.paginate(page=3, size=2)
        assert (_skus(rows), total) == (["e"], 5)
        past = products.paginate(page=9, size=2)
        assert (list(past.items), past.total, past.pages) == ([], 5, 3)
        for bad in ({"page": 0}, {"size": 0}, {"size": -1}, {"size": 2.5}, {"page": True}):
            with pytest.raises(ValidationError):
                products.paginate(**bad)
        smallest, largest = products.paginate(size=1), products.paginate(size=1000)
        assert (len(smallest.items), smallest.pages, len(largest.items)) == (1, 5, 5)

    def test_paginate_size_has_no_upper_bound_as_in_2_9(self, products: Any) -> None:
        """A size of 5,000 is one page (2.9 exports paged so); ``page * size`` is a bigint."""
        self._seed(products)
        export = products.paginate(size=5000)
        assert (_skus(export.items), export.total, export.pages) == (
            ["a", "b", "c", "d", "e"],
            5,
            1,
        )
        huge = products.paginate(size=2**63 - 1)
        assert (len(huge.items), huge.pages) == (5, 1)
        with pytest.raises(ValidationError, match="2\\*\\*63"):  # PostgreSQL's bigint LIMIT
            products.paginate(size=2**63)
        far = products.paginate(page=2**62, size=2**62)  # past the end: empty, true total
        assert (list(far.items), far.total) == ([], 5)

    def test_seek_walks_every_row_once_even_with_inserts_in_between(self, products: Any) -> None:
        self._seed(products)
        seen: list[str] = []
        page = products.seek(limit=2, order_by="-sku")
        seen += _skus(page.items)
        products.add(Product(sku="bb"))  # lands after the cursor in -sku order
        products.add(Product(sku="z"))  # lands before it: never returned by this walk
        while page.next_cursor is not None and len(seen) <= 6:  # a runaway walk fails, not hangs
            page = products.seek(after=page.next_cursor, limit=2, order_by="-sku")
            seen += _skus(page.items)
        assert seen == ["e", "d", "c", "bb", "b", "a"]
        with pytest.raises(ValidationError):
            products.seek(after="not-a-cursor", limit=2)
        first = products.seek(limit=1)
        with pytest.raises(ValidationError):
            products.seek(after=first.next_cursor, limit=1, order_by="-sku")
        with pytest.raises(ValidationError):
            products.seek(order_by="price")  # nullable: no keyset

    def test_seek_refuses_a_limit_outside_one_to_the_page_maximum(self, products: Any) -> None:
        """``limit`` is an integer in ``1..1000`` (``MAX_PAGE_SIZE``), as ``paginate``'s size."""
        self._seed(products)
        for bad in (0, -1, 1001, 2.5, "2", True):
            with pytest.raises(ValidationError):
                products.seek(limit=bad)
        assert len(products.seek(limit=1000).items) == 5

    def test_seek_takes_50_rows_and_paginate_20_by_default_and_a_last_page_has_no_cursor(
        self, products: Any
    ) -> None:
        """``seek`` takes 50 rows unless told; a walk ends exactly at its end.

        A page that takes the last rows, however many, carries no ``next_cursor``.
        ``paginate`` takes 20, serpens 2.9's default (``rows, total = repo.paginate(page=2)``
        must return the rows it returned).
        """
        products.bulk_insert([{"sku": f"s{i:03}"} for i in range(53)])
        first = products.seek()
        assert len(first.items) == 50
        assert first.next_cursor is not None
        rest = products.seek(after=first.next_cursor)
        assert (_skus(rest.items), rest.next_cursor) == (["s050", "s051", "s052"], None)
        exact = products.seek(after=first.next_cursor, limit=3)
        assert (len(exact.items), exact.next_cursor) == (3, None)
        short = products.seek(after=first.next_cursor, limit=2)
        assert short.next_cursor is not None
        page = products.paginate()
        assert (len(page.items), page.size, page.pages, page.total) == (20, 20, 3, 53)
        rows, total = products.paginate(page=2, order_by="sku")
        assert (_skus(rows), total) == ([f"s{i:03}" for i in range(20, 40)], 53)

    @pytest.mark.parametrize("order", ["made_at", "-ratio", "day", "-ref", "state"])
    def test_seek_walks_an_order_of_each_value_type(
        self, db: RepositoryDatabase, order: str
    ) -> None:
        """Keyset cursors carry datetimes, decimals, dates, UUIDs and strings exactly.

        Walking two rows at a time returns what ``list`` returns in that order, every row
        once, on equal values too (the key breaks ties).
        """
        stamps: Any = db.repository(Stamp)
        base = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
        stamps.bulk_insert(
            [
                {
                    "made_at": base + dt.timedelta(microseconds=i % 3),
                    "ratio": Decimal(f"{i % 4}.25"),
                    "day": dt.date(2026, 1, 1 + i % 2),
                    "ref": uuid.UUID(int=i * 7919 % 11),
                    "state": f"s{i % 3}",
                }
                for i in range(7)
            ]
        )
        expected = [row.id for row in stamps.list(order_by=order)]
        seen: list[int] = []
        page = stamps.seek(limit=2, order_by=order)
        seen += [row.id for row in page.items]
        while page.next_cursor is not None and len(seen) <= len(expected):  # ends if runaway
            page = stamps.seek(after=page.next_cursor, limit=2, order_by=order)
            seen += [row.id for row in page.items]
        assert seen == expected
        assert sorted(seen) == sorted({row.id for row in stamps.list()})

    @pytest.mark.parametrize("order", ["tone", "-blob", ("day", "tone")])
    def test_seek_refuses_an_order_no_cursor_holds_before_any_page(
        self, db: RepositoryDatabase, order: str | tuple[str, ...]
    ) -> None:
        """An ``Enum`` or binary order is a ``ValidationError`` naming ``order_by``, up front.

        Backends sort an ``Enum`` differently (by name, or by declaration on a native
        enum) and a cursor holds neither type (a ``str`` enum's members are strings, but
        not the names the column orders by), so the walk is refused even when every row
        fits on the first page and no cursor would be needed.
        """
        stamps: Any = db.repository(Stamp)
        stamps.add(Stamp(note="a"))
        with pytest.raises(ValidationError) as info:
            stamps.seek(order_by=order)
        assert [e.path for e in info.value.errors] == ["order_by"]
        assert [s.note for s in stamps.seek(order_by="day").items] == ["a"]

    @pytest.mark.parametrize("tampered", sorted(TAMPERED_CURSORS))
    def test_a_tampered_cursor_is_a_validation_error(self, products: Any, tampered: str) -> None:
        self._seed(products)
        with pytest.raises(ValidationError) as info:
            products.seek(after=TAMPERED_CURSORS[tampered], limit=2)
        assert [e.path for e in info.value.errors] == ["after"]
        with pytest.raises(ValidationError):  # a number where the sku order wants a string
            products.seek(after=_cursor({"o": ["sku"], "v": [5]}), limit=2, order_by="sku")
