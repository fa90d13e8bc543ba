"""The exact wording of the in-memory repository's errors on writes.

Upserts and their conflict targets, batches, rows it refuses and conflicts between units
of work.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from serpens.errors import ConflictError, ValidationError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Product
from serpens_contract._repository_models_versions import Ticket
from tests.serpens.fakes.error_messages._error_cases import (
    _observed,
    _pairs,
    _products,
)


def _two_units_of_work() -> tuple[InMemoryRepository[Product], InMemoryRepository[Product]]:
    """Two repositories (sessions) on one database that holds Product id=1."""
    database = InMemoryDatabase()
    seed = InMemoryRepository(Product, database=database)
    seed.add(Product(id=1, sku="a"))
    seed.commit()
    return (
        InMemoryRepository(Product, database=database),
        InMemoryRepository(Product, database=database),
    )


def _stale_version_at_flush() -> None:
    """Both load id=1 and change it; the second flushes after the first committed."""
    first, second = _two_units_of_work()
    first.get_or_raise(1).name = "first"
    second.get_or_raise(1).name = "second"
    first.commit()
    second.commit()


def _stale_version_at_commit() -> None:
    """Both load, change and flush id=1; the second commits after the first."""
    first, second = _two_units_of_work()
    first.get_or_raise(1).name = "first"
    second.get_or_raise(1).name = "second"
    first.flush()
    second.flush()
    first.commit()
    second.commit()


def _same_key_committed_twice() -> None:
    """Two units of work insert id=2; the second commits after the first."""
    first, second = _two_units_of_work()
    first.add(Product(id=2, sku="b"))
    second.add(Product(id=2, sku="c"))
    first.commit()
    second.commit()


def _same_sku_committed_twice() -> None:
    """Two units of work insert sku "b" under different keys; both commit."""
    first, second = _two_units_of_work()
    first.add(Product(id=2, sku="b"))
    second.add(Product(id=3, sku="b"))
    first.commit()
    second.commit()


def _same_key_added_twice() -> None:
    repo = _products()
    repo.add(Product(id=1, sku="a"))
    repo.add(Product(id=1, sku="b"))


def _changed_primary_key() -> None:
    repo = _products("a")
    repo.get_or_raise(1).id = 2
    repo.flush()


_GENERATED = (
    "Ticket.version comes from a custom version_id_generator, Python that ON CONFLICT DO"
    " UPDATE cannot run per row: upsert with update_fields=None (insert or do nothing) and"
    " update the object itself (get, change, flush) so the Session makes its version"
)

REPOSITORY_WRITE_CASES = [
    # upsert_args and conflict_target
    pytest.param(
        lambda: InMemoryRepository(Ticket).upsert(
            {"id": 1, "name": "x"}, conflict_on=["id"], update_fields=["name"]
        ),
        ValidationError,
        f"an updating upsert of Ticket cannot make its next version: update_fields: {_GENERATED}",
        [("update_fields", _GENERATED)],
        id="repository-upsert-update-with-a-version-generator",
    ),
    pytest.param(
        lambda: _products().upsert({"name": "x"}, conflict_on=["sku"]),
        ValidationError,
        "upsert of Product needs every conflict_on value: sku: missing",
        [("sku", "missing")],
        id="repository-upsert-missing-conflict-value",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a"}, conflict_on=["sku"], update_fields=["name"]),
        ValidationError,
        "update_fields of Product must be present in values: name: missing from values",
        [("name", "missing from values")],
        id="repository-upsert-update-field-not-in-values",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a"}, conflict_on=["sku"], update_fields=["colour"]),
        ValidationError,
        "unknown update field for Product: colour: not a column of Product",
        [("colour", "not a column of Product")],
        id="repository-upsert-unknown-update-field",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a", "name": "x"}, conflict_on=["name"]),
        ValidationError,
        (
            "conflict_on must name the primary key or a unique constraint of Product: conflict_on: "
            "['name'] is not one of [['id'], ['sku']]"
        ),
        [("conflict_on", "['name'] is not one of [['id'], ['sku']]")],
        id="repository-upsert-target-not-unique",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a"}, conflict_on=["colour"]),
        ValidationError,
        "unknown conflict_on field for Product: colour: not a column of Product",
        [("colour", "not a column of Product")],
        id="repository-upsert-unknown-target",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a", "colour": "red"}, conflict_on=["sku"]),
        ValidationError,
        "unknown value for Product: colour: not a column of Product",
        [("colour", "not a column of Product")],
        id="repository-upsert-unknown-value",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "x" * 41}, conflict_on=["sku"]),
        ValidationError,
        "value too long for sku: sku: at most 40 characters, got 41",
        [("sku", "at most 40 characters, got 41")],
        id="repository-upsert-string-too-long",
    ),
    # batch and upsert_many
    pytest.param(
        lambda: _products().bulk_insert([{"sku": "a"}, {"sku": "b", "name": "x"}]),
        ValidationError,
        (
            "every row of a batch of Product needs the same fields: rows[1]: "
            "has ['name', 'sku'], expected ['sku']"
        ),
        [("rows[1]", "has ['name', 'sku'], expected ['sku']")],
        id="repository-batch-rows-with-different-fields",
    ),
    pytest.param(
        lambda: _products().add(Product(sku="a", price=Product.price + 1)),
        ValidationError,
        "the in-memory fake cannot store a SQL expression in price: price: "
        "SQL expressions need a SQL backend",
        [("price", "SQL expressions need a SQL backend")],
        id="repository-add-sql-expression",
    ),
    pytest.param(
        lambda: _products().upsert({"sku": "a", "name": sa.func.lower("X")}, conflict_on=["sku"]),
        ValidationError,
        "the in-memory fake cannot store a SQL expression in name: name: "
        "SQL expressions need a SQL backend",
        [("name", "SQL expressions need a SQL backend")],
        id="repository-upsert-sql-expression",
    ),
    pytest.param(
        lambda: _products().bulk_insert([{"sku": "a", "colour": "red"}]),
        ValidationError,
        "unknown value for Product: colour: not a column of Product",
        [("colour", "not a column of Product")],
        id="repository-batch-unknown-value",
    ),
    pytest.param(
        lambda: _products().bulk_insert([{"sku": "a"}, {"sku": "x" * 41}]),
        ValidationError,
        "value too long for sku: rows[1].sku: at most 40 characters, got 41",
        [("rows[1].sku", "at most 40 characters, got 41")],
        id="repository-batch-string-too-long",
    ),
    pytest.param(
        lambda: _products().bulk_insert([{"sku": "a", "price": 1}, {"sku": "b", "price": "2"}]),
        ValidationError,
        "bad value for price: rows[1].price: expected int, got str",
        [("rows[1].price", "expected int, got str")],
        id="repository-batch-wrong-type",
    ),
    pytest.param(
        lambda: _products().upsert_many(
            [{"sku": "a"}, {"sku": "b"}, {"sku": "a"}], conflict_on=["sku"]
        ),
        ValidationError,
        "upsert_many of Product got one conflict key twice: rows[2]: same ['sku'] as rows[0]",
        [("rows[2]", "same ['sku'] as rows[0]")],
        id="repository-upsert-many-one-key-twice",
    ),
    pytest.param(
        lambda: _pairs().upsert_many(
            [{"left": "a", "right": "b", "code": "c"}, {"left": "a", "right": "b", "code": "d"}],
            conflict_on=["left", "right"],
        ),
        ValidationError,
        (
            "upsert_many of Pair got one conflict key twice: rows[1]: "
            "same ['left', 'right'] as rows[0]"
        ),
        [("rows[1]", "same ['left', 'right'] as rows[0]")],
        id="repository-upsert-many-one-composite-key-twice",
    ),
    # check_row and the fake's rows
    pytest.param(
        lambda: _products().add(Product(sku="x" * 41)),
        ValidationError,
        "value too long for sku: sku: at most 40 characters, got 41",
        [("sku", "at most 40 characters, got 41")],
        id="repository-add-string-too-long",
    ),
    pytest.param(
        lambda: _products().add(Product(sku="a", seen_at=dt.datetime(2026, 1, 1))),  # noqa: DTZ001
        ValidationError,
        "bad value for seen_at: seen_at: expected a timezone-aware datetime",
        [("seen_at", "expected a timezone-aware datetime")],
        id="repository-add-naive-datetime",
    ),
    pytest.param(
        lambda: _products().add(Product(name="x")),
        ValidationError,
        "Product needs a value for every NOT NULL column: sku: must not be null",
        [("sku", "must not be null")],
        id="repository-add-not-null-missing",
    ),
    pytest.param(
        lambda: _products().bulk_insert([{"name": "x"}]),
        ValidationError,
        "Product needs a value for every NOT NULL column: sku: must not be null",
        [("sku", "must not be null")],
        id="repository-bulk-insert-not-null-missing",
    ),
    pytest.param(
        _same_key_added_twice,
        ConflictError,
        "duplicate key: Product id=(1,) exists",
        [],
        id="repository-add-duplicate-key",
    ),
    pytest.param(
        lambda: _products("a").add(Product(sku="a")),
        ConflictError,
        "duplicate key: Product (sku)=('a',) exists",
        [],
        id="repository-add-duplicate-unique-value",
    ),
    pytest.param(
        _changed_primary_key,
        ValidationError,
        "the primary key of Product cannot change",
        [],
        id="repository-flush-changed-primary-key",
    ),
    pytest.param(
        _stale_version_at_flush,
        ConflictError,
        "stale version: Product id=(1,) changed meanwhile",
        [],
        id="repository-stale-version-at-flush",
    ),
    pytest.param(
        _stale_version_at_commit,
        ConflictError,
        "stale version: Product id=(1,) changed meanwhile",
        [],
        id="repository-stale-version-at-commit",
    ),
    pytest.param(
        _same_key_committed_twice,
        ConflictError,
        "duplicate key: Product id=(2,) exists",
        [],
        id="repository-duplicate-key-at-commit",
    ),
    pytest.param(
        _same_sku_committed_twice,
        ConflictError,
        "duplicate key: Product (sku)=('b',) exists",
        [],
        id="repository-duplicate-unique-value-at-commit",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), REPOSITORY_WRITE_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
