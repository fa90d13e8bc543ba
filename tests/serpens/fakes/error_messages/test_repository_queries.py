"""The exact wording of the in-memory repository's errors on reads.

Cursors, pages, list windows, ordering, filters and primary keys.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Kind, Product
from tests.serpens.fakes.error_messages._error_cases import (
    _observed,
    _pairs,
    _products,
    _untyped,
)


def _kinds() -> InMemoryRepository[Kind]:
    return InMemoryRepository(Kind, database=InMemoryDatabase())


def _cursor_of_another_order() -> object:
    """A cursor ``seek`` returned for ``order_by="sku"``, used with the default order."""
    repo = _products("a", "b")
    cursor = repo.seek(limit=1, order_by="sku").next_cursor
    assert cursor is not None
    return repo.seek(after=cursor)


REPOSITORY_QUERY_CASES = [
    # decode_cursor
    pytest.param(
        lambda: _products("a").seek(after="nope"),
        ValidationError,
        "bad cursor: after: not a cursor returned by seek",
        [("after", "not a cursor returned by seek")],
        id="repository-cursor-not-a-cursor",
    ),
    pytest.param(
        lambda: _products("a").seek(after="a" * 65537),
        ValidationError,
        "bad cursor: after: not a cursor returned by seek",
        [("after", "not a cursor returned by seek")],
        id="repository-cursor-too-long",
    ),
    pytest.param(
        _cursor_of_another_order,
        ValidationError,
        "bad cursor: after: the cursor belongs to a different order_by",
        [("after", "the cursor belongs to a different order_by")],
        id="repository-cursor-of-another-order-by",
    ),
    # check_page and check_window
    pytest.param(
        lambda: _products().paginate(page=0),
        ValidationError,
        "bad page: page: must be an integer >= 1, got 0",
        [("page", "must be an integer >= 1, got 0")],
        id="repository-page-zero",
    ),
    pytest.param(
        lambda: _products().paginate(size=0),
        ValidationError,
        "bad page size: size: must be an integer >= 1, below 2**63, got 0",
        [("size", "must be an integer >= 1, below 2**63, got 0")],
        id="repository-page-size-zero",
    ),
    pytest.param(
        lambda: _products().paginate(size=2**63),
        ValidationError,
        "bad page size: size: must be an integer >= 1, below 2**63, got 9223372036854775808",
        [("size", "must be an integer >= 1, below 2**63, got 9223372036854775808")],
        id="repository-page-size-past-bigint",
    ),
    pytest.param(
        lambda: _products().seek(limit=0),
        ValidationError,
        "bad page size: limit: must be in 1..1000, got 0",
        [("limit", "must be in 1..1000, got 0")],
        id="repository-seek-limit-zero",
    ),
    pytest.param(
        lambda: _products().list(offset=-1),
        ValidationError,
        "bad list window: offset: must be an integer >= 0, got -1",
        [("offset", "must be an integer >= 0, got -1")],
        id="repository-list-negative-offset",
    ),
    pytest.param(
        lambda: _products().list(limit=-1),
        ValidationError,
        "bad list window: limit: must be an integer >= 0, got -1",
        [("limit", "must be an integer >= 0, got -1")],
        id="repository-list-negative-limit",
    ),
    pytest.param(
        lambda: _products().list(offset=2**63),
        ValidationError,
        "bad list window: offset: must be below 2**63, got 9223372036854775808",
        [("offset", "must be below 2**63, got 9223372036854775808")],
        id="repository-list-offset-past-bigint",
    ),
    # ordering
    pytest.param(
        lambda: _products().list(order_by=_untyped(42)),
        ValidationError,
        "bad order_by for Product: order_by: cannot order by 42",
        [("order_by", "cannot order by 42")],
        id="repository-order-by-a-number",
    ),
    pytest.param(
        lambda: _products().list(order_by="-colour"),
        ValidationError,
        "unknown order_by field for Product: colour: not a column of Product",
        [("colour", "not a column of Product")],
        id="repository-order-by-unknown-field",
    ),
    pytest.param(
        lambda: _products().list(order_by=Product.price + 1),
        ValidationError,
        (
            "the in-memory repository of Product orders by mapped columns only: order_by: "
            "SQL expressions need a SQL backend"
        ),
        [("order_by", "SQL expressions need a SQL backend")],
        id="repository-order-by-sql-expression-on-the-fake",
    ),
    pytest.param(
        lambda: _products().seek(order_by=Product.price + 1),
        ValidationError,
        (
            "keyset pagination of Product needs non-nullable columns a cursor holds: "
            "order_by: contract_products.price + :price_1 cannot be used"
        ),
        [("order_by", "contract_products.price + :price_1 cannot be used")],
        id="repository-seek-by-a-sql-expression",
    ),
    pytest.param(
        lambda: _products().seek(order_by="name"),
        ValidationError,
        (
            "keyset pagination of Product needs non-nullable columns a cursor holds: "
            "order_by: name cannot be used"
        ),
        [("order_by", "name cannot be used")],
        id="repository-seek-by-nullable-column",
    ),
    # filters and ColumnInfo.check_value
    pytest.param(
        lambda: _products().get_by(colour="red", size=2),
        ValidationError,
        (
            "unknown filter for Product: colour: not a column of Product; "
            "size: not a column of Product"
        ),
        [("colour", "not a column of Product"), ("size", "not a column of Product")],
        id="repository-filter-unknown-fields",
    ),
    pytest.param(
        lambda: _products().list(price="12"),
        ValidationError,
        "bad value for price: price: expected int, got str",
        [("price", "expected int, got str")],
        id="repository-filter-wrong-type",
    ),
    pytest.param(
        lambda: _products().count(stock=True),
        ValidationError,
        "bad value for stock: stock: expected int, got bool",
        [("stock", "expected int, got bool")],
        id="repository-filter-bool-for-integer",
    ),
    pytest.param(
        lambda: _products().get_by(seen_at=dt.datetime(2026, 1, 1)),  # noqa: DTZ001 - naive on purpose
        ValidationError,
        "bad value for seen_at: seen_at: expected a timezone-aware datetime",
        [("seen_at", "expected a timezone-aware datetime")],
        id="repository-filter-naive-datetime",
    ),
    pytest.param(
        lambda: _kinds().list(day=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        ValidationError,
        "bad value for day: day: expected date, got datetime",
        [("day", "expected date, got datetime")],
        id="repository-filter-datetime-for-date",
    ),
    pytest.param(
        lambda: _kinds().list(color="BLUE"),
        ValidationError,
        "bad value for color: color: 'BLUE' is not one of its values",
        [("color", "'BLUE' is not one of its values")],
        id="repository-filter-enum-unknown-name",
    ),
    pytest.param(
        lambda: _kinds().list(size="xl"),
        ValidationError,
        "bad value for size: size: 'xl' is not one of its values",
        [("size", "'xl' is not one of its values")],
        id="repository-filter-string-enum-unknown-value",
    ),
    # ident
    pytest.param(
        lambda: _pairs().get("a"),
        ValidationError,
        "bad primary key for Pair: ident: expected ('left', 'right')",
        [("ident", "expected ('left', 'right')")],
        id="repository-ident-wrong-arity",
    ),
    pytest.param(
        lambda: _products().get("1"),
        ValidationError,
        "bad value for id: ident: expected int, got str",
        [("ident", "expected int, got str")],
        id="repository-ident-wrong-type",
    ),
    pytest.param(
        lambda: _products().get_or_raise(7),
        NotFoundError,
        "Product id=7",
        [],
        id="repository-get-or-raise-missing",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), REPOSITORY_QUERY_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
