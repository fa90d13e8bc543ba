"""The exact wording of serpens' own error messages, raised through the in-memory fakes.

The contract suites pin error types and ``FieldError`` paths on every backend, but not
wording: third-party adapters word their own errors. The messages serpens itself writes
(the shared rules in ``serpens/_rules`` and the fakes) are what users read, so this golden
table pins each one's type and ``str()`` exactly, and for a ``ValidationError`` its
``(path, message)`` pairs: a rewording shows up here as a reviewed change.

Every expected text is a literal, pasted from a run; none is computed from the code under
test. Calls whose message holds something that changes between runs (a generated id, a
memory address) are left out or reach the raise site another way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    HTTPStatusError,
    NotFoundError,
    NotInitializedError,
    SerializationError,
    ValidationError,
)
from serpens.fakes import (
    AsyncInMemoryCache,
    AsyncInMemoryQueue,
    InMemoryCache,
    InMemoryDatabase,
    InMemoryDocumentStore,
    InMemoryHttpClient,
    InMemoryParameterStore,
    InMemoryPublisher,
    InMemoryQueue,
    InMemoryRepository,
    InMemoryResponse,
    InMemorySecretStore,
    RecordedRequest,
)
from serpens.ports import Message
from serpens.rate_limit import RateLimiter
from serpens_contract._repository_models import Kind, Pair, Product

_TOPIC = "projects/demo/topics/orders"
_LONG_KEY = "k" * 257
"""An attribute key one byte over Pub/Sub's limit."""
_S = TypeVar("_S", bound="_Switch")


async def _not_json() -> Any:
    """An async cache factory returning a value no cache can store."""
    return object()


def _untyped(value: object) -> Any:
    """*value* as a caller without a type checker passes it (a wrong type on purpose)."""
    return value


class _Switch(Protocol):
    def start_outage(self, *, timeout: bool = False) -> None: ...


def _down(fake: _S, *, timeout: bool = False) -> _S:
    """*fake* in a simulated outage (unreachable, or not answering with *timeout*)."""
    fake.start_outage(timeout=timeout)
    return fake


# -- repository ------------------------------------------------------------------------


def _products(*skus: str) -> InMemoryRepository[Product]:
    """A repository of Product on a fresh database, holding one committed row per sku."""
    repo = InMemoryRepository(Product, database=InMemoryDatabase())
    for sku in skus:
        repo.add(Product(sku=sku))
    repo.commit()
    return repo


def _kinds() -> InMemoryRepository[Kind]:
    return InMemoryRepository(Kind, database=InMemoryDatabase())


def _pairs() -> InMemoryRepository[Pair]:
    return InMemoryRepository(Pair, database=InMemoryDatabase())


def _cursor_of_another_order() -> object:
    """A cursor ``seek`` returned for ``order_by="sku"``, used with the default order."""
    repo = _products("a", "b")
    cursor = repo.seek(limit=1, order_by="sku").next_cursor
    assert cursor is not None
    return repo.seek(after=cursor)


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


class _EmulationBase(DeclarativeBase):
    pass


class _RandomDefault(_EmulationBase):
    """A server default the fake cannot evaluate."""

    __tablename__ = "error_messages_random_default"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    score: Mapped[float] = mapped_column(sa.Float, server_default=sa.text("random()"))


class _WordDefault(_EmulationBase):
    """A literal server default that is no value of its (integer) column."""

    __tablename__ = "error_messages_word_default"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    tries: Mapped[int] = mapped_column(sa.Integer, server_default="none")


class _Computed(_EmulationBase):
    """A computed column, which only a SQL server evaluates."""

    __tablename__ = "error_messages_computed"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    twice: Mapped[int] = mapped_column(sa.Integer, sa.Computed("id * 2"))


class _ZonedText(sa.TypeDecorator[dt.datetime]):
    """A user's zone-aware type the repository rules do not know (not UTCDateTime)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True


class _Event(_EmulationBase):
    """A zone-aware column of a user's type, and a not-null column of bytes."""

    __tablename__ = "error_messages_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    at: Mapped[dt.datetime | None] = mapped_column(_ZonedText)
    digest: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)


def _events(*digests: bytes) -> InMemoryRepository[_Event]:
    repo = InMemoryRepository(_Event, database=InMemoryDatabase())
    repo.bulk_insert([{"digest": digest} for digest in digests])
    return repo


REPOSITORY_CASES = [
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
        "bad page size: size: must be in 1..1000, got 0",
        [("size", "must be in 1..1000, got 0")],
        id="repository-page-size-zero",
    ),
    pytest.param(
        lambda: _products().paginate(size=1001),
        ValidationError,
        "bad page size: size: must be in 1..1000, got 1001",
        [("size", "must be in 1..1000, got 1001")],
        id="repository-page-size-over-max",
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
    # upsert_args and conflict_target
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
    # construction
    pytest.param(
        lambda: InMemoryRepository(_untyped("session")),
        ConfigurationError,
        (
            "InMemoryRepository takes the model class (and database=), not a str: "
            "the fake needs no session"
        ),
        [],
        id="repository-given-a-session",
    ),
    pytest.param(
        lambda: InMemoryRepository(Product, database=_untyped({})),
        ConfigurationError,
        "InMemoryRepository(database=...) needs an InMemoryDatabase, not a dict",
        [],
        id="repository-given-another-database",
    ),
    pytest.param(
        InMemoryRepository,
        ConfigurationError,
        "InMemoryRepository needs a model: set `model = X` or pass model=X",
        [],
        id="repository-without-a-model",
    ),
    pytest.param(
        lambda: InMemoryRepository(_RandomDefault),
        ConfigurationError,
        (
            "the in-memory repository cannot emulate the default of _RandomDefault.score "
            "('random()'); use a Python-side default, now() or a literal"
        ),
        [],
        id="repository-default-it-cannot-emulate",
    ),
    pytest.param(
        lambda: InMemoryRepository(_WordDefault),
        ConfigurationError,
        (
            "the in-memory repository cannot read the server default 'none' of "
            "_WordDefault.tries as a value of its column type"
        ),
        [],
        id="repository-literal-default-of-another-type",
    ),
    pytest.param(
        lambda: InMemoryRepository(_Computed),
        ConfigurationError,
        "the in-memory repository cannot emulate computed column _Computed.twice",
        [],
        id="repository-computed-column",
    ),
    pytest.param(
        lambda: InMemoryRepository(int),
        ValidationError,
        "<class 'int'> is not a SQLAlchemy-mapped class",
        [],
        id="repository-model-not-mapped",
    ),
    pytest.param(
        lambda: _events().add(_Event(digest=b"a", at=dt.datetime(2026, 1, 1))),  # noqa: DTZ001
        ValidationError,
        (
            "a timezone-aware column needs a timezone-aware datetime: at: "
            "got datetime.datetime(2026, 1, 1, 0, 0)"
        ),
        [("at", "got datetime.datetime(2026, 1, 1, 0, 0)")],
        id="repository-naive-datetime-in-a-zone-aware-user-type",
    ),
    pytest.param(
        lambda: _events(b"a", b"b").seek(limit=5, order_by="digest"),  # refused before a page
        ValidationError,
        (
            "keyset pagination of _Event needs non-nullable columns a cursor holds: "
            "order_by: digest cannot be used"
        ),
        [("order_by", "digest cannot be used")],
        id="repository-seek-by-a-type-no-cursor-holds",
    ),
    pytest.param(
        lambda: _down(_products()).count(),
        BackendUnavailableError,
        "InMemoryDatabase: simulated outage, the backend is unreachable",
        [],
        id="repository-outage",
    ),
    pytest.param(
        lambda: _down(_products(), timeout=True).count(),
        BackendTimeoutError,
        "InMemoryDatabase: simulated outage, the backend did not answer",
        [],
        id="repository-outage-timeout",
    ),
]

# -- publisher -------------------------------------------------------------------------


async def _publish_after_close() -> None:
    publisher = InMemoryPublisher()
    await publisher.close()
    await publisher.publish(_TOPIC, b"x")


PUBLISHER_CASES = [
    pytest.param(
        lambda: InMemoryPublisher().publish(_untyped(42), b"x"),
        ValidationError,
        "invalid topic: topic: expected a str, got int",
        [("topic", "expected a str, got int")],
        id="publisher-topic-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish("orders", b"x"),
        ValidationError,
        (
            "invalid topic: topic: "
            "'orders' is not a full topic id 'projects/<project>/topics/<name>' (name: "
            "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
        ),
        [
            (
                "topic",
                (
                    "'orders' is not a full topic id 'projects/<project>/topics/<name>' (name: "
                    "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
                ),
            ),
        ],
        id="publisher-topic-short-name",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish("projects/demo/topics/goog-orders", b"x"),
        ValidationError,
        (
            "invalid topic: topic: "
            "'projects/demo/topics/goog-orders' is not a full topic id "
            "'projects/<project>/topics/<name>' (name: "
            "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
        ),
        [
            (
                "topic",
                (
                    "'projects/demo/topics/goog-orders' is not a full topic id "
                    "'projects/<project>/topics/<name>' (name: "
                    "3-255 of letters, digits, -_.~+%, starting with a letter, not 'goog')"
                ),
            ),
        ],
        id="publisher-topic-starting-goog",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b""),
        ValidationError,
        "invalid message: payload: empty payload needs at least one attribute",
        [("payload", "empty payload needs at least one attribute")],
        id="publisher-empty-payload-without-attributes",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", ordering_key=""),
        ValidationError,
        "invalid ordering key: ordering_key: a non-empty str of at most 1024 UTF-8 bytes"
        " (no lone surrogate), or None",
        [
            (
                "ordering_key",
                "a non-empty str of at most 1024 UTF-8 bytes (no lone surrogate), or None",
            )
        ],
        id="publisher-empty-ordering-key",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(
            _TOPIC, b"x", attributes={f"k{i}": "v" for i in range(101)}
        ),
        ValidationError,
        "invalid attributes: attributes: at most 100 attributes per message",
        [("attributes", "at most 100 attributes per message")],
        id="publisher-too-many-attributes",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"googKey": "v"}),
        ValidationError,
        "invalid attributes: attributes['googKey']: keys are non-empty str not starting 'goog'",
        [("attributes['googKey']", "keys are non-empty str not starting 'goog'")],
        id="publisher-attribute-key-starting-goog",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"timeout": "v"}),
        ValidationError,
        (
            "invalid attributes: attributes['timeout']: "
            "reserved by google-cloud-pubsub's publish(): "
            "['data', 'ordering_key', 'retry', 'self', 'timeout', 'topic']"
        ),
        [
            (
                "attributes['timeout']",
                (
                    "reserved by google-cloud-pubsub's publish(): "
                    "['data', 'ordering_key', 'retry', 'self', 'timeout', 'topic']"
                ),
            ),
        ],
        id="publisher-attribute-key-reserved",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={_LONG_KEY: "v"}),
        ValidationError,
        # the key is echoed whole: this one is 257 "k"s
        f"invalid attributes: attributes['{_LONG_KEY}']: key longer than 256 bytes",
        [(f"attributes['{_LONG_KEY}']", "key longer than 256 bytes")],
        id="publisher-attribute-key-too-long",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"k": _untyped(None)}),
        ValidationError,
        (
            "invalid attributes: attributes['k']: "
            "expected str, int, float, bool, Decimal or UUID, got NoneType"
        ),
        [("attributes['k']", "expected str, int, float, bool, Decimal or UUID, got NoneType")],
        id="publisher-attribute-value-wrong-type",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, b"x", attributes={"k": "v" * 1025}),
        ValidationError,
        "invalid attributes: attributes['k']: longer than 1024 bytes",
        [("attributes['k']", "longer than 1024 bytes")],
        id="publisher-attribute-value-too-long",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, _untyped(42)),
        SerializationError,
        "payload must be bytes, str or a mapping, got int",
        [],
        id="publisher-payload-wrong-type",
    ),
    pytest.param(
        lambda: InMemoryPublisher().publish(_TOPIC, {"at": object()}),
        SerializationError,
        "payload cannot be encoded as JSON: object is not JSON serialisable",
        [],
        id="publisher-payload-not-json",
    ),
    pytest.param(
        lambda: InMemoryPublisher(topics=[_TOPIC]).publish("projects/demo/topics/other", b"x"),
        NotFoundError,
        "topic projects/demo/topics/other does not exist",
        [],
        id="publisher-topic-does-not-exist",
    ),
    pytest.param(
        _publish_after_close,
        NotInitializedError,
        "the publisher is closed; create a new one",
        [],
        id="publisher-publish-after-close",
    ),
    pytest.param(
        lambda: _down(InMemoryPublisher()).publish(_TOPIC, b"x"),
        BackendUnavailableError,
        "InMemoryPublisher: simulated outage, the backend is unreachable",
        [],
        id="publisher-outage",
    ),
]

# -- rate limiter ----------------------------------------------------------------------

RATE_LIMIT_CASES = [
    pytest.param(
        lambda: RateLimiter(0),
        ValidationError,
        "invalid rate limit: rate: must be a finite number > 0",
        [("rate", "must be a finite number > 0")],
        id="rate-limit-rate-zero",
    ),
    pytest.param(
        lambda: RateLimiter(1, float("inf")),
        ValidationError,
        "invalid rate limit: per_seconds: must be a finite number > 0",
        [("per_seconds", "must be a finite number > 0")],
        id="rate-limit-per-seconds-infinite",
    ),
    pytest.param(
        lambda: RateLimiter(1, burst=_untyped(True)),
        ValidationError,
        "invalid rate limit: burst: must be an integer >= 1",
        [("burst", "must be an integer >= 1")],
        id="rate-limit-burst-a-bool",
    ),
    pytest.param(
        lambda: RateLimiter(_untyped("5"), -1, burst=0),
        ValidationError,
        (
            "invalid rate limit: rate: must be a finite number > 0; "
            "per_seconds: must be a finite number > 0; burst: must be an integer >= 1"
        ),
        [
            ("rate", "must be a finite number > 0"),
            ("per_seconds", "must be a finite number > 0"),
            ("burst", "must be an integer >= 1"),
        ],
        id="rate-limit-every-number-wrong",
    ),
]

# -- document store --------------------------------------------------------------------


def _documents(
    sort_key: str | None = None, *, sort_type: type[str | int] = str
) -> InMemoryDocumentStore:
    """A store with table "t" keyed by "pk" (a str), and *sort_key* when given."""
    store = InMemoryDocumentStore()
    store.create_table("t", "pk", sort_key, sort_type=sort_type)
    return store


def _put_twice_if_absent() -> None:
    store = _documents()
    store.put("t", {"pk": "a"})
    store.put("t", {"pk": "a"}, if_absent=True)


DOCUMENT_CASES = [
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "doc": {1: "x"}}),
        ValidationError,
        "invalid item: item.doc: map keys must be strings, got int",
        [("item.doc", "map keys must be strings, got int")],
        id="document-map-key-not-a-str",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "doc": {"tags": [1, object()]}}),
        ValidationError,
        "invalid item: item.doc.tags[1]: cannot store a value of type object",
        [("item.doc.tags[1]", "cannot store a value of type object")],
        id="document-value-of-unsupported-type",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "score": float("nan")}),
        ValidationError,
        "invalid item: item.score: NaN and infinity cannot be stored",
        [("item.score", "NaN and infinity cannot be stored")],
        id="document-float-nan",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "score": Decimal("Infinity")}),
        ValidationError,
        "invalid item: item.score: NaN and infinity cannot be stored",
        [("item.score", "NaN and infinity cannot be stored")],
        id="document-decimal-infinity",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "tags": set()}),
        ValidationError,
        "invalid item: item.tags: empty sets cannot be stored",
        [("item.tags", "empty sets cannot be stored")],
        id="document-empty-set",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "tags": {1, "x"}}),
        ValidationError,
        "invalid item: item.tags: a set must hold only strings, only numbers or only bytes",
        [("item.tags", "a set must hold only strings, only numbers or only bytes")],
        id="document-mixed-set",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "a", "blob": "x" * 409_600}),
        ValidationError,
        "an item must be at most 409600 bytes (names and values), got 409607",
        [],
        id="document-item-too-large",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", partition_type=_untyped(float)),
        ValidationError,
        "a key attribute's type must be str, int or bytes",
        [],
        id="document-partition-type-unsupported",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "sk", sort_type=_untyped(bool)),
        ValidationError,
        "a key attribute's type must be str, int or bytes",
        [],
        id="document-sort-type-unsupported",
    ),
    pytest.param(
        lambda: _documents().create_table("t", "pk"),
        ConflictError,
        "table 't' already exists",
        [],
        id="document-table-exists",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().get("missing", {"pk": "a"}),
        NotFoundError,
        "table 'missing' does not exist",
        [],
        id="document-table-does-not-exist",
    ),
    pytest.param(
        _put_twice_if_absent,
        ConflictError,
        "an item with key ('a',) already exists in 't'",
        [],
        id="document-put-if-absent-existing",
    ),
    pytest.param(
        lambda: _documents().put("t", {"id": "a"}),
        ValidationError,
        "missing key attribute 'pk'",
        [],
        id="document-key-attribute-missing",
    ),
    pytest.param(
        lambda: _documents().get("t", {"pk": "a", "extra": 1}),
        ValidationError,
        "a key must have exactly the attributes ['pk']",
        [],
        id="document-key-with-extra-attributes",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": True}),
        ValidationError,
        "key attribute 'pk' must be a string, number or bytes",
        [],
        id="document-key-a-bool",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": ""}),
        ValidationError,
        "key attribute 'pk' must not be empty",
        [],
        id="document-key-empty",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": 7}),
        ValidationError,
        "key attribute 'pk' must be of type str, got int",
        [],
        id="document-key-wrong-type",
    ),
    pytest.param(
        lambda: _documents().put("t", {"pk": "k" * 2049}),
        ValidationError,
        "key attribute 'pk' must be at most 2048 bytes",
        [],
        id="document-partition-key-too-long",
    ),
    pytest.param(
        lambda: _documents("sk").put("t", {"pk": "a", "sk": "s" * 1025}),
        ValidationError,
        "key attribute 'sk' must be at most 1024 bytes",
        [],
        id="document-sort-key-too-long",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", limit=0),
        ValidationError,
        "limit must be >= 1",
        [],
        id="document-query-limit-zero",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", sort_prefix="x"),
        ValidationError,
        "table 't' has no sort key to match a prefix on",
        [],
        id="document-query-prefix-without-sort-key",
    ),
    pytest.param(
        lambda: _documents("sk", sort_type=int).query("t", "a", sort_prefix="x"),
        ValidationError,
        "sort_prefix needs a string sort key; 'sk' is not one",
        [],
        id="document-query-prefix-on-number-sort-key",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().get("", {"pk": "a"}),
        ValidationError,
        "a table name must be a non-empty string, got ''",
        [],
        id="document-table-name-empty",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("a b", "pk"),
        ValidationError,
        "table name 'a b' must be 1 to 255 ASCII letters, digits, '_', '-' or '.'",
        [],
        id="document-create-table-name-refused",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", ""),
        ValidationError,
        "partition_key must be 1 to 255 characters, got 0",
        [],
        id="document-create-partition-key-empty",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", _untyped(1)),
        ValidationError,
        "partition_key must be a string, got int",
        [],
        id="document-create-partition-key-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "pk"),
        ValidationError,
        "sort_key must differ from partition_key; both are 'pk'",
        [],
        id="document-create-sort-key-named-like-partition-key",
    ),
    pytest.param(
        lambda: InMemoryDocumentStore().create_table("t", "pk", "s\ud800"),
        ValidationError,
        "sort_key 's\\ud800': a string must have a UTF-8 form (a lone surrogate, U+D800 to"
        " U+DFFF, has none)",
        [],
        id="document-create-sort-key-lone-surrogate",
    ),
    pytest.param(
        lambda: _documents().query("t", "a", limit=_untyped(1.5)),
        ValidationError,
        "limit must be an int, got float",
        [],
        id="document-query-limit-not-an-int",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix=_untyped(1)),
        ValidationError,
        "sort_prefix must be a string, got int",
        [],
        id="document-query-prefix-not-a-str",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix=""),
        ValidationError,
        "sort_prefix must not be empty (None matches every sort key)",
        [],
        id="document-query-prefix-empty",
    ),
    pytest.param(
        lambda: _documents("sk").query("t", "a", sort_prefix="\ud800"),
        ValidationError,
        "sort_prefix: a string must have a UTF-8 form (a lone surrogate, U+D800 to U+DFFF,"
        " has none)",
        [],
        id="document-query-prefix-lone-surrogate",
    ),
    pytest.param(
        lambda: _down(_documents()).query("t", "a"),
        BackendUnavailableError,
        "InMemoryDocumentStore: simulated outage, the backend is unreachable",
        [],
        id="document-store-outage",
    ),
]

# -- cache -----------------------------------------------------------------------------

CACHE_CASES = [
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped(object())),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-value-not-json",
    ),
    pytest.param(
        lambda: _down(InMemoryCache(fail_open=True)).get_or_set("k", lambda: _untyped(object())),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-fail-open-outage-value-not-json",
    ),
    pytest.param(
        lambda: _down(AsyncInMemoryCache(fail_open=True)).get_or_set("k", _not_json),
        SerializationError,
        (
            "cannot cache the value of 'k': "
            "type object is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="async-cache-fail-open-outage-value-not-json",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", {"rows": [{"at": _untyped({1, 2})}]}),
        SerializationError,
        (
            "cannot cache the value of 'k'['rows'][0]['at']: "
            "type set is not a JSON value (use None, bool, int, float, str, list, tuple, "
            "dict with str keys, or Decimal, date, datetime, UUID: stored in their JSON form)"
        ),
        [],
        id="cache-nested-value-not-json",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped({1: "a"})),
        SerializationError,
        "cannot cache the value of 'k': dict key 1 has type int; JSON object keys must be str",
        [],
        id="cache-dict-key-not-a-str",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", [1.0, float("nan")]),
        SerializationError,
        "cannot cache the value of 'k'[1]: nan is not valid JSON",
        [],
        id="cache-float-nan",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", _untyped({"price": Decimal("NaN")})),
        SerializationError,
        "cannot cache the value of 'k'['price']: Decimal('NaN') is not valid JSON",
        [],
        id="cache-decimal-nan",
    ),
    pytest.param(
        lambda: InMemoryCache().get(""),
        ValidationError,
        "invalid cache key: key: must be a non-empty str, got ''",
        [("key", "must be a non-empty str, got ''")],
        id="cache-empty-key",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", 1, ttl=0),
        ValidationError,
        "invalid cache TTL: ttl: must be > 0 seconds, got 0",
        [("ttl", "must be > 0 seconds, got 0")],
        id="cache-ttl-zero",
    ),
    pytest.param(
        lambda: InMemoryCache(default_ttl=float("inf")),
        ValidationError,
        "invalid cache TTL: ttl: must be > 0 seconds, got inf",
        [("ttl", "must be > 0 seconds, got inf")],
        id="cache-default-ttl-infinite",
    ),
    pytest.param(
        lambda: InMemoryCache().set("k", 1, ttl=1e16),
        ValidationError,
        "invalid cache TTL: ttl: must be at most 2^62 ms (4.612e+15 seconds), got 1e+16",
        [("ttl", "must be at most 2^62 ms (4.612e+15 seconds), got 1e+16")],
        id="cache-ttl-past-2-62-ms",
    ),
    pytest.param(
        lambda: InMemoryCache().get("\ud800"),
        ValidationError,
        "invalid cache key: key: must have a UTF-8 form (no lone surrogate), got '\\ud800'",
        [("key", "must have a UTF-8 form (no lone surrogate), got '\\ud800'")],
        id="cache-key-lone-surrogate",
    ),
    pytest.param(
        lambda: _down(InMemoryCache()).get("k"),
        BackendUnavailableError,
        "InMemoryCache: simulated outage, the backend is unreachable",
        [],
        id="cache-outage",
    ),
    pytest.param(
        lambda: _down(InMemoryCache(), timeout=True).get("k"),
        BackendTimeoutError,
        "InMemoryCache: simulated outage, the backend did not answer",
        [],
        id="cache-outage-timeout",
    ),
]

# -- HTTP client -----------------------------------------------------------------------


def _ok(request: RecordedRequest) -> InMemoryResponse:
    return InMemoryResponse(text="ok")


def _redirect_forever(request: RecordedRequest) -> InMemoryResponse:
    return InMemoryResponse(302, headers={"Location": "/loop"})


async def _too_slow(request: RecordedRequest) -> InMemoryResponse:
    await asyncio.sleep(1)
    return InMemoryResponse()


async def _request_after_close() -> None:
    client = InMemoryHttpClient(_ok)
    await client.aclose()
    await client.get("/")


async def _text_read_as_json() -> None:
    response = await InMemoryHttpClient(_ok).get("/page")
    response.json()


async def _status_raised() -> None:
    client = InMemoryHttpClient(lambda request: InMemoryResponse(404))
    response = await client.get("http://user:s3cret@testserver/items?token=abc")
    response.raise_for_status()


HTTP_CASES = [
    pytest.param(
        _request_after_close,
        BackendUnavailableError,
        "the HTTP client is closed",
        [],
        id="http-client-closed",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("https://user:s3cret@other.test/x?api_key=k"),
        BackendUnavailableError,
        "connection refused: https://user:***@other.test/x?api_key=***",
        [],
        id="http-connection-refused-other-origin",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", headers={"X-A": "v\r\nX-B: 1"}),
        ValidationError,
        "invalid header: headers['X-A']: a value is tab and printable ASCII only (no CR, LF"
        " or other control character; encode other text, e.g. RFC 8187 or base64)",
        [
            (
                "headers['X-A']",
                (
                    "a value is tab and printable ASCII only (no CR, LF or other control"
                    " character; encode other text, e.g. RFC 8187 or base64)"
                ),
            )
        ],
        id="http-header-injection",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", headers={"X A": "v"}),
        ValidationError,
        "invalid header: headers: not an HTTP token: 'X A'",
        [("headers", "not an HTTP token: 'X A'")],
        id="http-header-name-not-a-token",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).request("GE T", "/x"),
        ValidationError,
        "invalid HTTP method: method: not an HTTP token: 'GE T'",
        [("method", "not an HTTP token: 'GE T'")],
        id="http-method-not-a-token",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).get("/x", params={"q": "\ud800"}),
        ValidationError,
        "invalid query parameter: params['q']: no UTF-8 form (a lone surrogate)",
        [("params['q']", "no UTF-8 form (a lone surrogate)")],
        id="http-query-lone-surrogate",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_redirect_forever, max_redirects=2).get(
            "/start", follow_redirects=True
        ),
        BackendError,
        "more than 2 redirects from http://testserver/loop",
        [],
        id="http-too-many-redirects",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_too_slow).get("/slow?password=p", timeout=0.01),
        BackendTimeoutError,
        "GET http://testserver/slow?password=*** timed out",
        [],
        id="http-request-timed-out",
    ),
    pytest.param(
        lambda: InMemoryHttpClient(_ok).post("/items", json={"at": object()}),
        SerializationError,
        "request body is not JSON-serialisable: Object of type object is not JSON serializable",
        [],
        id="http-request-body-not-json",
    ),
    pytest.param(
        _text_read_as_json,
        SerializationError,
        "response from http://testserver/page is not JSON",
        [],
        id="http-response-not-json",
    ),
    pytest.param(
        _status_raised,
        HTTPStatusError,
        "HTTP 404 from http://user:***@testserver/items?token=***",
        [],
        id="http-raise-for-status",
    ),
    pytest.param(
        lambda: InMemoryResponse(headers={"X-Id": "7"}).headers["x-missing"],
        KeyError,
        "'x-missing'",
        [],
        id="http-header-missing",
    ),
    pytest.param(
        InMemoryHttpClient,
        TypeError,
        "pass exactly one of handler= or app=",
        [],
        id="http-client-without-handler-or-app",
    ),
    pytest.param(
        lambda: _down(InMemoryHttpClient(_ok)).get("/"),
        BackendUnavailableError,
        "InMemoryHttpClient: simulated outage, the backend is unreachable",
        [],
        id="http-outage",
    ),
]

# -- queue -----------------------------------------------------------------------------


def _change_visibility_after_ack() -> None:
    """The receipt is known but its message is gone; the id is the caller's (not random)."""
    queue = InMemoryQueue()
    queue.send("hello")
    (message,) = queue.receive()
    queue.ack(message)
    queue.change_visibility(dataclasses.replace(message, id="m-1"), 10)


def _change_visibility_out_of_range() -> None:
    queue = InMemoryQueue()
    queue.send("hello")
    (message,) = queue.receive()
    queue.change_visibility(message, 43201)


def _change_visibility_past_12_hours() -> None:
    """100 s after the receive, 43,200 s more would end past 12 hours from it."""
    now = [1_700_000_000.0]
    queue = InMemoryQueue(clock=lambda: now[0])
    queue.send("hello")
    (message,) = queue.receive()
    queue.change_visibility(message, 43_200)  # exactly 12 hours from the receive: accepted
    now[0] += 100
    queue.change_visibility(message, 43_100)  # still exactly 12 hours
    queue.change_visibility(message, 43_101)


def _change_visibility_when_12_hours_passed() -> None:
    """Held for the whole 12 hours, not even one more second is left."""
    now = [1_700_000_000.0]
    queue = InMemoryQueue(clock=lambda: now[0])
    queue.send("hello")
    (message,) = queue.receive(visibility_timeout=43_200)
    now[0] += 43_200
    queue.change_visibility(message, 1)


_UNKNOWN = Message(id="m-1", body="hello", receipt="r-unknown", receive_count=1)

QUEUE_CASES = [
    pytest.param(
        lambda: InMemoryQueue().ack(_UNKNOWN),
        NotFoundError,
        "no message was delivered with receipt 'r-unknown'",
        [],
        id="queue-ack-unknown-receipt",
    ),
    pytest.param(
        lambda: AsyncInMemoryQueue().change_visibility(_UNKNOWN, 10),
        NotFoundError,
        "no message was delivered with receipt 'r-unknown'",
        [],
        id="queue-change-visibility-unknown-receipt",
    ),
    pytest.param(
        _change_visibility_after_ack,
        NotFoundError,
        "message 'm-1' was already acknowledged",
        [],
        id="queue-change-visibility-after-ack",
    ),
    pytest.param(
        _change_visibility_out_of_range,
        ValidationError,
        "a visibility timeout must be 0 to 43200 seconds",
        [],
        id="queue-change-visibility-out-of-range",
    ),
    pytest.param(
        _change_visibility_past_12_hours,
        ValidationError,
        "a message stays hidden at most 43200 seconds from its receive: 43101 seconds more"
        " is past that (43100 seconds are left)",
        [],
        id="queue-change-visibility-past-12-hours",
    ),
    pytest.param(
        _change_visibility_when_12_hours_passed,
        ValidationError,
        "a message stays hidden at most 43200 seconds from its receive: 1 seconds more"
        " is past that (0 seconds are left)",
        [],
        id="queue-change-visibility-when-12-hours-passed",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"AWS.trace": "1"}),
        ValidationError,
        "attribute name 'AWS.trace' must be 1 to 256 ASCII letters, digits, '_', '-' or '.',"
        " with no '.' first, last or twice in a row, and not start with 'AWS.' or 'Amazon.'",
        [],
        id="queue-send-reserved-attribute-name",
    ),
    pytest.param(
        lambda: InMemoryQueue().send(""),
        ValidationError,
        "a message body must be a non-empty string",
        [],
        id="queue-send-empty-body",
    ),
    pytest.param(
        lambda: InMemoryQueue(fifo=True).send("hello"),
        ValidationError,
        "a FIFO queue needs a group_id on every message",
        [],
        id="queue-send-fifo-without-group",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"flag": _untyped(True)}),
        ValidationError,
        "attribute 'flag' must be a string or a number, got bool",
        [],
        id="queue-send-bool-attribute",
    ),
    pytest.param(
        lambda: InMemoryQueue().receive(max_messages=11),
        ValidationError,
        "max_messages must be 1 to 10",
        [],
        id="queue-receive-too-many",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", delay_seconds=_untyped(1.5)),
        ValidationError,
        "delay_seconds must be an int, got float",
        [],
        id="queue-send-delay-not-an-int",
    ),
    pytest.param(
        lambda: InMemoryQueue().receive(max_messages=_untyped(10.0)),
        ValidationError,
        "max_messages must be an int, got float",
        [],
        id="queue-receive-max-messages-not-an-int",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(float("nan"))}),
        ValidationError,
        "attribute 'n': NaN and infinity are not numbers SQS takes",
        [],
        id="queue-send-nan-attribute",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(Decimal("1." + "2" * 38))}),
        ValidationError,
        "attribute 'n': a Number has at most 38 significant digits, got 39",
        [],
        id="queue-send-number-attribute-of-39-digits",
    ),
    pytest.param(
        lambda: InMemoryQueue().send("hello", attributes={"n": _untyped(1e200)}),
        ValidationError,
        "attribute 'n': a Number must be 0 or of magnitude 1E-128 to 1E+126",
        [],
        id="queue-send-number-attribute-out-of-range",
    ),
    pytest.param(
        lambda: _down(InMemoryQueue()).send("hello"),
        BackendUnavailableError,
        "InMemoryQueue: simulated outage, the backend is unreachable",
        [],
        id="queue-outage",
    ),
]

# -- parameters and secrets ------------------------------------------------------------

PARAMETER_CASES = [
    pytest.param(
        lambda: InMemoryParameterStore().put("", "v"),
        ValidationError,
        "parameter '' needs a non-empty name and string value",
        [],
        id="parameter-empty-name",
    ),
    pytest.param(
        lambda: InMemoryParameterStore().put("/app/db", "", secure=True),
        ValidationError,
        "parameter '/app/db' needs a non-empty name and string value",
        [],
        id="parameter-empty-value",
    ),
    pytest.param(
        lambda: InMemoryParameterStore().get_parameters_by_path("app"),
        ValidationError,
        "parameter path 'app' must start with '/'",
        [],
        id="parameter-path-relative",
    ),
    pytest.param(
        lambda: InMemorySecretStore().put("db", _untyped(42)),
        ValidationError,
        "secret 'db' needs a str or bytes value",
        [],
        id="secret-value-wrong-type",
    ),
    pytest.param(
        lambda: InMemorySecretStore().get_secret("db"),
        NotFoundError,
        "secret 'db' does not exist",
        [],
        id="secret-does-not-exist",
    ),
    pytest.param(
        lambda: _down(InMemorySecretStore({"db": "s3cret"})).get_secret("db"),
        BackendUnavailableError,
        "InMemorySecretStore: simulated outage, the backend is unreachable",
        [],
        id="secret-store-outage",
    ),
    pytest.param(
        lambda: _down(InMemoryParameterStore(), timeout=True).get_parameters(["/a"]),
        BackendTimeoutError,
        "InMemoryParameterStore: simulated outage, the backend did not answer",
        [],
        id="parameter-store-outage-timeout",
    ),
]

# Raise sites with no case, because no call through a fake reaches their text:
# - serpens/_rules/cache.py ``_api_form`` and ``_fast_form``: their TypeErrors are caught
#   inside ``encode``; users see the SerializationError of ``_check`` (pinned above).
# - serpens/_rules/document/_sizes.py ``_value_size``: ``to_stored`` refuses the value first.
# - serpens/fakes/_document.py ``query``'s "sort_prefix needs a string sort key": the
#   declared key types make ``check_query`` refuse it first.
CASES = [
    *REPOSITORY_CASES,
    *PUBLISHER_CASES,
    *RATE_LIMIT_CASES,
    *DOCUMENT_CASES,
    *CACHE_CASES,
    *HTTP_CASES,
    *QUEUE_CASES,
    *PARAMETER_CASES,
]


def _fields(error: BaseException) -> list[tuple[str, str]]:
    """The ``(path, message)`` of each FieldError a ValidationError carries, else none."""
    if isinstance(error, ValidationError):
        return [(e.path, e.message) for e in error.errors]
    return []


async def _raised(call: Callable[[], object]) -> BaseException:
    """What *call* raises, awaiting what it returns when that is awaitable."""
    try:
        result = call()
        if inspect.isawaitable(result):
            await result
    except Exception as exc:  # the error under test, whatever its type
        return exc
    pytest.fail("the call raised nothing")


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*.

        Compared as one tuple, so a failure shows type, text and field errors together.
        """
        raised = await _raised(call)
        assert (type(raised), str(raised), _fields(raised)) == (error, message, fields)
