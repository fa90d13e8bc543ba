"""Contract suite of the Repository port (``serpens.ports.Repository`` / ``AsyncRepository``).

One suite, no branching on the implementation: an async implementation is driven through
:class:`~serpens_contract.SyncDriver` by its :class:`RepositoryDatabase`.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal

import pytest

try:
    from hypothesis.stateful import run_state_machine_as_test
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from serpens_contract._repository_machine import RepositoryMachine
from serpens_contract._repository_models import (
    Color,
    ContractBase,
    FakeDatabase,
    Kind,
    Pair,
    Product,
    RepositoryDatabase,
    SQLAlchemyDatabase,
    Stamp,
    Tone,
    contract_schema,
)
from serpens_contract._suite import ContractSuite
from serpens_contract.capabilities import register_capability, requires
from serpens_contract.settings import hypothesis_settings

__all__ = [
    "Color",
    "ContractBase",
    "FakeDatabase",
    "Kind",
    "Outage",
    "OutageFault",
    "Pair",
    "Product",
    "RepositoryCapabilities",
    "RepositoryContract",
    "RepositoryDatabase",
    "SQLAlchemyDatabase",
    "Stamp",
    "contract_schema",
]

OpenDatabase = Callable[[], RepositoryDatabase]
UTC_MINUS_3 = dt.timezone(dt.timedelta(hours=-3))

OutageFault = Literal["unreachable", "frozen", "reset"]
"""A backend outage the suite asks for: connects refused, no answer at all, connections reset."""

Outage = Callable[[OutageFault], AbstractContextManager[object]]
"""The ``repository_outage`` fixture: *fault* in force inside the returned ``with`` block."""

OUTAGE_MARGIN_S = 1.0
"""How much later than ``outage_deadline_s`` a call may end (scheduling, the error's path)."""


@dataclass(frozen=True)
class RepositoryCapabilities:
    """Honest differences between repositories.

    Attributes:
        outages: the faults the implementation's ``repository_outage`` fixture can inject
            (``"unreachable"``, ``"frozen"``, ``"reset"``); none for a backend the suite
            cannot put behind a proxy (SQLite is a file). Each missing one is a reported skip.
        outage_deadline_s: the configured bound of one call against a dead backend (for
            the SQL adapters ``max(DB_CLIENT_TIMEOUT_MS, DB_PING_TIMEOUT_MS +
            DB_CONNECT_TIMEOUT)``); every call must end within it plus
            :data:`OUTAGE_MARGIN_S`.
        exact_decimal: ``Numeric`` columns keep a ``Decimal`` exactly, rounded to the
            column's scale half away from zero, as PostgreSQL does (38 significant digits
            in ``Numeric(38, 10)``, ``1.005`` read back as ``1.01`` in ``Numeric(6, 2)``).
            Off for SQLite, which stores a float; off by default.
        sequence_keys: an autoincrement key comes from a sequence that explicit keys do
            not advance, as PostgreSQL's ``SERIAL`` and identity columns: after a row
            written with ``id=2``, the second generated key (2) collides with it
            (``ConflictError``). Off for SQLite, whose next key passes the largest one;
            off by default.
    """

    outages: frozenset[str] = field(default_factory=frozenset)
    outage_deadline_s: float = 0.0
    exact_decimal: bool = False
    sequence_keys: bool = False


def _has_outage(fault: str) -> Callable[[Any], bool]:
    return lambda capabilities: fault in capabilities.outages


for _fault, _meaning in (
    ("unreachable", "connects are refused (server down, port closed)"),
    ("frozen", "the backend accepts and never answers, mid-request"),
    ("reset", "open connections are reset (TCP RST)"),
):
    register_capability(
        "repository",
        f"outage_{_fault}",
        _has_outage(_fault),
        f"the cell can inject the {_fault!r} outage: {_meaning}",
    )


register_capability(
    "repository",
    "exact_decimal",
    lambda capabilities: capabilities.exact_decimal,
    "Numeric columns keep a Decimal exactly, rounded to their scale as PostgreSQL rounds",
)
register_capability(
    "repository",
    "sequence_keys",
    lambda capabilities: capabilities.sequence_keys,
    "autoincrement keys come from a sequence explicit keys do not advance (PostgreSQL)",
)


def _skus(rows: Any) -> list[str]:
    return [r.sku for r in rows]


def _sorted_skus(rows: Any, order: list[str]) -> list[str]:
    """*rows* sorted as the port promises: NULLs last ascending, first descending, key last."""

    def compare(a: Any, b: Any) -> int:
        for term in order:
            name = term.lstrip("-")
            descending = term.startswith("-")
            x, y = getattr(a, name), getattr(b, name)
            if x == y:
                continue
            if x is None or y is None:
                return (1 if x is None else -1) * (-1 if descending else 1)
            return (1 if x > y else -1) * (-1 if descending else 1)
        return int(a.id > b.id) - int(a.id < b.id)

    return _skus(sorted(rows, key=functools.cmp_to_key(compare)))


def _cursor(payload: object) -> str:
    """A cursor as a client could forge it (seek's own format: base64 of JSON)."""
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Cursors travel in query strings: each of these must be a ValidationError, on every
# backend, before any I/O (key: what is wrong with it; default order: ``id``).
TAMPERED_CURSORS: dict[str, object] = {
    "not base64": "!!not a cursor!!",
    "not a string": 12345,
    "a JSON list": _cursor([]),
    "a JSON number": _cursor(5),
    "values not a list": _cursor({"o": ["id"], "v": 5}),
    "labels not a list": _cursor({"o": "id", "v": [1]}),
    "a string for an integer column": _cursor({"o": ["id"], "v": ["abc"]}),
    "a boolean for an integer column": _cursor({"o": ["id"], "v": [True]}),
    "a float for an integer column": _cursor({"o": ["id"], "v": [1.5]}),
    "an int past the INTEGER column": _cursor({"o": ["id"], "v": [2**31]}),
    "a decimal for an integer column": _cursor({"o": ["id"], "v": [{"dec": "1"}]}),
    "a bad decimal": _cursor({"o": ["id"], "v": [{"dec": "abc"}]}),
    "a bad datetime": _cursor({"o": ["id"], "v": [{"dt": "yesterday"}]}),
    "a uuid tag holding a number": _cursor({"o": ["id"], "v": [{"uuid": 5}]}),
    "a nested list": _cursor({"o": ["id"], "v": [[1]]}),
    "an unknown tag": _cursor({"o": ["id"], "v": [{"x": "1"}]}),
    "deeply nested JSON": _cursor("[" * 20000 + "]" * 20000),
    "too long": "A" * 70000,
}


WRONG_TYPES: list[tuple[str, object]] = [
    ("price", "12"),  # a string for an integer
    ("price", 1.5),  # a float for an integer
    ("price", True),  # a boolean for an integer
    ("sku", 42),  # a number for a string
    ("seen_at", "2024-01-02T03:04:05+00:00"),  # a string for a datetime
    ("seen_at", dt.date(2024, 1, 2)),  # a date for a datetime
    ("seen_at", dt.datetime(2024, 1, 2, 3, 4, 5)),  # noqa: DTZ001 - naive, on purpose
]
"""A value of the wrong type for a ``Product`` column: every write path refuses each."""


def _flush_refuses_then_stores(
    repo: Any, obj: Any, field: str, refused: object, fits: object
) -> None:
    """A refused value set on a loaded object fails its flush; a fitting one is stored."""
    setattr(obj, field, refused)
    with pytest.raises(ValidationError):
        repo.flush()
    setattr(obj, field, fits)
    repo.flush()
    assert getattr(repo.get(obj.id), field) == fits


class RepositoryContract(ContractSuite):
    """Every Repository must pass these tests.

    Override ``open_repository_database`` to return a callable that creates a fresh,
    empty, isolated :class:`RepositoryDatabase` holding ``ContractBase.metadata``'s tables.
    """

    contract = "repository"
    capabilities: ClassVar[RepositoryCapabilities] = RepositoryCapabilities()

    @pytest.fixture
    def open_repository_database(self) -> OpenDatabase:
        pytest.fail("override `open_repository_database`: return a callable -> database")

    @pytest.fixture
    def db(self, open_repository_database: OpenDatabase) -> RepositoryDatabase:
        return open_repository_database()

    @pytest.fixture
    def repository_outage(self, db: RepositoryDatabase) -> Outage:
        """Override when ``capabilities.outages`` is not empty: a fault -> context manager."""
        pytest.fail("override `repository_outage`: return a callable fault -> context manager")

    @pytest.fixture
    def products(self, db: RepositoryDatabase) -> Any:  # Any: tests read optional results
        return db.repository(Product)

    # -- identity and keys ---------------------------------------------------------------
    def test_add_makes_the_callers_object_persistent_with_defaults(self, products: Any) -> None:
        obj = Product(sku="a", price=3)
        assert products.add(obj) is obj
        assert isinstance(obj.id, int)
        assert (obj.stock, obj.version) == (0, 1)
        second = products.add(Product(sku="b"))
        assert second.id > obj.id

    def test_reads_return_one_instance_per_key_within_a_unit_of_work(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        obj = products.add(Product(sku="a", name="x"))
        assert products.get(obj.id) is obj
        assert products.get_by(sku="a") is obj
        assert products.list()[0] is obj
        assert products.upsert({"sku": "a"}, conflict_on=["sku"]) is obj
        db.commit(products)
        other: Any = db.repository(Product)
        again = other.get(obj.id)
        assert again is not obj
        assert (again.sku, again.name) == ("a", "x")

    def test_missing_rows_are_none_or_not_found(self, products: Any) -> None:
        assert products.get(424242) is None
        assert products.get_by(sku="nope") is None
        with pytest.raises(NotFoundError, match=r"^Product id=424242$") as info:
            products.get_or_raise(424242)
        assert isinstance(info.value, LookupError)

    def test_composite_keys(self, db: RepositoryDatabase) -> None:
        pairs: Any = db.repository(Pair)
        pairs.add(Pair(left="a", right="b", code="c"))
        assert pairs.get(("a", "b")).code == "c"
        assert pairs.get(("b", "a")) is None
        with pytest.raises(ValidationError):
            pairs.get("a")
        with pytest.raises(NotFoundError, match=r"^Pair id=\('b', 'a'\)$"):
            pairs.get_or_raise(("b", "a"))

    def test_adding_an_object_the_unit_of_work_holds_again_writes_nothing_new(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        """``add()`` of a pending or loaded object is no second row (``Session.add`` twice).

        Composite keys included: the unit of work knows the object by its whole key.
        """
        pending = products.add(Product(sku="a"), flush=False)
        assert products.add(pending) is pending
        loaded = products.add(Product(sku="b"))
        assert products.add(loaded) is loaded
        assert products.bulk_add([loaded, pending]) == [loaded, pending]
        assert _skus(products.list()) == ["a", "b"]
        db.commit(products)  # SQLite: one writer at a time
        pairs: Any = db.repository(Pair)
        pair = pairs.add(Pair(left="a", right="b", code="c"))
        assert pairs.add(pair) is pair
        assert pairs.get(("a", "b")) is pair
        db.commit(pairs)
        other: Any = db.repository(Pair)
        again = other.get(("a", "b"))
        assert other.list()[0] is again
        assert other.get_by(code="c") is again
        again.code = "d"
        assert other.add(again) is again
        assert other.count() == 1
        assert other.get(("a", "b")).code == "d"

    def test_get_by_a_unique_set_with_a_null_scans_instead_of_the_index(
        self, db: RepositoryDatabase
    ) -> None:
        """NULLs never conflict, so a unique set holding a NULL may match several rows.

        ``get_by`` then returns the first match by primary key, and a second unique set
        in the same filters (the primary key here) still finds its one row.
        """
        pairs: Any = db.repository(Pair)
        pairs.bulk_add([Pair(left="a", right=r, code="c") for r in ("c", "b")])
        pairs.add(Pair(left="z", right="z", code="c", label="x"))
        assert (pairs.get_by(code="c", label=None).right, pairs.count(code="c")) == ("b", 3)
        assert pairs.get_by(code="c", label=None, left="a", right="c").right == "c"
        assert pairs.get_by(code="c", label="x").left == "z"
        assert pairs.get_by(code="c", label="y") is None
        assert pairs.get_by(code="d", label=None) is None

    def test_get_by_a_unique_column_and_another_that_differs_finds_nothing(
        self, db: RepositoryDatabase
    ) -> None:
        """Every filter must match: the unique column finding its row is not enough."""
        products: Any = db.repository(Product)
        products.add(Product(sku="a", name="x"))
        assert products.get_by(sku="a", name="x").sku == "a"
        assert products.get_by(sku="a", name="y") is None  # a write pending here
        assert products.get_by(sku="a", name=None) is None
        db.commit(products)
        theirs: Any = db.repository(Product)
        assert theirs.get_by(sku="a", name="y") is None  # nothing written there yet
        assert theirs.get_by(sku="a", name="x").sku == "a"

    def test_mutable_values_are_never_shared_between_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``JSON`` list is copied in and out: changing one in place changes nothing stored.

        SQLAlchemy's plain ``JSON`` type does not see in-place changes (no ``MutableList``),
        so the caller's list after ``add()`` and a loaded list changed in place stay
        unwritten; another unit of work reads what was written.
        """
        kinds: Any = db.repository(Kind)
        tags = ["a"]
        obj = kinds.add(Kind(tags=tags))
        tags.append("after add")
        db.commit(kinds)
        loaded: Any = db.repository(Kind)
        got = loaded.get(obj.id)  # loaded by key
        assert got.tags == ["a"]
        got.tags.append("in place")
        assert loaded.list()[0].tags == ["a", "in place"]  # the one instance, as changed
        db.commit(loaded)
        listed: Any = db.repository(Kind)
        first = listed.list()[0]  # loaded by a query
        assert first.tags == ["a"]
        first.tags.append("listed")
        db.commit(listed)
        fresh: Any = db.repository(Kind)
        assert [k.tags for k in fresh.list()] == [["a"]]
        replaced = fresh.get(obj.id)
        replaced.tags = [*replaced.tags, "set"]  # a new list is a change, as in SQLAlchemy
        fresh.flush()
        db.commit(fresh)
        last: Any = db.repository(Kind)
        assert last.get(obj.id).tags == ["a", "set"]

    # -- conflicts and validation --------------------------------------------------------
    def test_a_duplicate_add_conflicts_and_the_unit_of_work_stays_usable(
        self, products: Any
    ) -> None:
        products.add(Product(sku="a"))
        with pytest.raises(ConflictError):
            products.add(Product(sku="a"))
        products.add(Product(sku="b"))
        assert _skus(products.list()) == ["a", "b"]

    def test_a_conflict_as_the_first_write_of_a_unit_of_work_leaves_it_usable(
        self, db: RepositoryDatabase
    ) -> None:
        first: Any = db.repository(Product)
        taken = first.add(Product(sku="a")).id
        db.commit(first)
        writes: list[Callable[[Any], object]] = [
            lambda r: r.add(Product(sku="a")),
            lambda r: r.bulk_add([Product(sku="b"), Product(sku="a")]),
            lambda r: r.bulk_insert([{"sku": "b"}, {"sku": "a"}]),
            lambda r: r.upsert({"id": taken, "sku": "b"}, conflict_on=["sku"]),
            lambda r: r.upsert_many([{"id": taken, "sku": "b"}], conflict_on=["sku"]),
        ]
        for i, write in enumerate(writes):
            fresh: Any = db.repository(Product)
            with pytest.raises(ConflictError):
                write(fresh)
            fresh.add(Product(sku=f"ok{i}"))
            db.commit(fresh)
        assert _skus(db.repository(Product).list()) == ["a", "ok0", "ok1", "ok2", "ok3", "ok4"]

    def test_a_conflict_right_after_a_commit_leaves_the_loaded_objects_loaded(
        self, db: RepositoryDatabase
    ) -> None:
        """A failed write right after a commit undoes only itself: loaded objects stay loaded.

        The unit of work still holds its objects after the commit (on an async session
        an expired attribute could not even be read); they can be changed and committed.
        """
        repo: Any = db.repository(Product)
        kept = repo.add(Product(sku="a", name="old"))
        db.commit(repo)
        with pytest.raises(ConflictError):
            repo.add(Product(sku="a"))
        assert (kept.sku, kept.name) == ("a", "old")
        kept.name = "changed"
        repo.flush()
        db.commit(repo)
        fresh: Any = db.repository(Product)
        assert fresh.get(kept.id).name == "changed"

    def test_bulk_add_is_all_or_nothing_and_keeps_input_order(self, products: Any) -> None:
        batch = [Product(sku="c"), Product(sku="a"), Product(sku="b")]
        assert products.bulk_add(batch) == batch
        assert [p.id for p in batch] == sorted(p.id for p in batch)
        with pytest.raises(ConflictError):
            products.bulk_add([Product(sku="d"), Product(sku="e"), Product(sku="d")])
        assert products.count() == 3
        assert products.get_by(sku="d") is None

    def test_a_missing_not_null_value_is_a_validation_error(self, products: Any) -> None:
        with pytest.raises(ValidationError):
            products.add(Product(name="no sku"))
        assert products.add(Product(sku="a")).sku == "a"

    def test_a_string_longer_than_its_column_is_a_validation_error(self, products: Any) -> None:
        # PostgreSQL rejects 41 characters in String(40); SQLite and the fake must too.
        fits, over = "é" * 40, "é" * 41  # characters are counted, not bytes
        with pytest.raises(ValidationError) as info:
            products.add(Product(sku="a", name=over))
        assert [e.path for e in info.value.errors] == ["name"]
        with pytest.raises(ValidationError):
            products.upsert({"sku": "a", "name": over}, conflict_on=["sku"])
        row = {"sku": "b", "price": None, "name": over}
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([{**row, "sku": "a", "name": fits}, row])
        assert [e.path for e in info.value.errors] == ["rows[1].name"]
        with pytest.raises(ValidationError):
            products.upsert_many([row], conflict_on=["sku"], update_fields=["name"])
        assert products.count() == 0  # nothing stored, and the unit of work is usable
        obj = products.add(Product(sku="a", name=fits))
        _flush_refuses_then_stores(products, obj, "name", over, fits)

    def test_unknown_fields_are_validation_errors_before_any_io(self, products: Any) -> None:
        """Each names the offending field (or ``order_by`` for a term that is no name)."""
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.list(colour="red"), "colour"),
            (lambda: products.count(colour="red"), "colour"),
            (lambda: products.exists(colour="red"), "colour"),
            (lambda: products.get_by(colour="red"), "colour"),
            (lambda: products.list(order_by="-colour"), "colour"),
            (lambda: products.list(order_by=42), "order_by"),
            (lambda: products.paginate(order_by="colour"), "colour"),
            (lambda: products.upsert({"sku": "a", "colour": 1}, conflict_on=["sku"]), "colour"),
            (lambda: products.upsert({"sku": "a"}, conflict_on=["nope"]), "nope"),
            (lambda: products.bulk_insert([{"sku": "a", "colour": 1}]), "colour"),
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.count() == 0

    def test_values_of_the_wrong_type_are_validation_errors_before_any_io(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        """Each names the offending argument: the key (``ident``), a filter, a page size."""
        products.add(Product(sku="a", price=1))
        naive = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - the point of the test
        pairs: Any = db.repository(Pair)
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.get("1"), "ident"),
            (lambda: products.get(True), "ident"),
            (lambda: products.get_or_raise(1.5), "ident"),
            (lambda: products.list(price="1"), "price"),
            (lambda: products.list(price=Product.stock), "price"),  # never SQL through a filter
            (lambda: products.count(sku=["a"]), "sku"),
            (lambda: products.exists(name=1), "name"),
            (lambda: products.get_by(seen_at=naive), "seen_at"),
            (lambda: products.list(limit=True), "limit"),
            (lambda: products.paginate(size=True), "size"),
            (lambda: pairs.get(("a", 1)), "ident"),
            (lambda: pairs.get("a"), "ident"),  # one value for a two-column key
            (lambda: pairs.get(("a", "b", "c")), "ident"),
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.get_by(price=1, sku="a", seen_at=None).sku == "a"
        assert products.count() == 1

    def test_upsert_arguments_that_cannot_work_name_the_field(self, products: Any) -> None:
        """Each argument that cannot work is a ``ValidationError`` naming it.

        A missing conflict value, an update field with no value, a target that is not
        unique, two rows with one key in a batch, a nullable keyset order.
        """
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: products.upsert({"name": "x"}, conflict_on=["sku"]), "sku"),
            (
                lambda: products.upsert({"sku": "a"}, conflict_on=["sku"], update_fields=["name"]),
                "name",
            ),
            (lambda: products.upsert({"sku": "a"}, conflict_on=["name"]), "conflict_on"),
            (
                lambda: products.upsert_many([{"sku": "a"}, {"sku": "a"}], conflict_on=["sku"]),
                "rows[1]",
            ),
            (lambda: products.bulk_insert([{"sku": "a"}, {"name": "b"}]), "rows[1]"),
            (lambda: products.seek(order_by="price"), "order_by"),  # nullable: no keyset
        ]
        for call, path in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert products.count() == 0

    def test_each_column_type_checks_its_filter_values(self, db: RepositoryDatabase) -> None:
        """Each column type takes filter (and written) values of its own Python types only.

        A value of the column's type finds the row on every backend. Any other value is a
        ``ValidationError`` naming the column, raised by the shared rules before any I/O:
        backends disagree on a mismatch (PostgreSQL rejects ``flag = 1``, SQLite compares
        it, the fake matches nothing), so none may reach one. A ``UTCDateTime`` also refuses
        a naive datetime, whose instant is unknowable.
        """
        kinds: Any = db.repository(Kind)
        ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
        at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        kinds.add(
            Kind(
                flag=True,
                day=dt.date(2026, 1, 2),
                ratio=1.5,
                color=Color.RED,
                size="s",
                ref=ref,
                ref_text=str(ref),
                code="abcdefgh",
                at=at,
            )
        )
        right: list[tuple[str, object]] = [
            ("flag", True),
            ("day", dt.date(2026, 1, 2)),
            ("ratio", 1.5),
            ("ratio", Decimal("1.5")),  # a Float column compares a Decimal by value
            ("color", Color.RED),
            ("size", "s"),
            ("ref", ref),
            ("ref_text", str(ref)),
            ("code", "abcdefgh"),  # a decorated type's values pass unchecked
            ("at", at),
            ("at", at.astimezone(dt.UTC)),  # the same instant in another zone
        ]
        for key, value in right:
            assert kinds.count(**{key: value}) == 1, (key, value)
        wrong: list[tuple[str, object]] = [
            ("flag", 1),  # an int for a boolean
            ("day", "2026-01-02"),  # a string for a date
            ("day", dt.datetime(2026, 1, 2, tzinfo=dt.UTC)),  # a datetime for a date
            ("ratio", "1.5"),  # a string for a float
            ("color", 1),  # a number for an enum
            ("size", 1),  # a number for a string enum
            ("ref", str(ref)),  # a string where the column holds uuid.UUID (as_uuid=True)
            ("ref_text", 1),  # a number for a uuid
            ("ref_text", ref),  # a UUID where the column holds str (as_uuid=False)
            ("at", "2026-01-02T00:00:00+00:00"),  # a string for a datetime
            ("at", dt.datetime(2026, 1, 2)),  # noqa: DTZ001 - naive, on purpose
        ]
        for key, value in wrong:
            with pytest.raises(ValidationError) as info:
                kinds.count(**{key: value})
            assert [e.path for e in info.value.errors] == [key], (key, value)
            with pytest.raises(ValidationError) as info:
                kinds.add(Kind(**{key: value}))  # and no write stores it either
            assert [e.path for e in info.value.errors] == [key], (key, value)
        assert kinds.count() == 1

    def test_an_enum_column_takes_its_members_and_their_names_and_nothing_else(
        self, db: RepositoryDatabase
    ) -> None:
        """An ``Enum`` over a Python enum stores member names: a name is its member.

        Written or filtered by name (``"RED"``) or by member, the row reads back holding
        the member on every backend. A string that is not one of the column's values is a
        ``ValidationError`` naming the column: SQLAlchemy would send it as it is and the
        row would then fail to load (or PostgreSQL reject it as too long).
        """
        kinds: Any = db.repository(Kind)
        by_name = kinds.add(Kind(color="RED", size="m"))
        kinds.bulk_insert([{"color": "GREEN", "size": "l"}])
        kinds.upsert({"id": 99, "color": Color.RED, "size": "s"}, conflict_on=["id"])
        assert kinds.count(color="RED") == kinds.count(color=Color.RED) == 2
        assert kinds.count(color="GREEN", size="l") == 1
        db.commit(kinds)
        fresh: Any = db.repository(Kind)
        assert fresh.get(by_name.id).color is Color.RED
        assert [(k.color, k.size) for k in fresh.list(order_by="size")] == [
            (Color.GREEN, "l"),
            (Color.RED, "m"),
            (Color.RED, "s"),
        ]
        bad: list[Callable[[], object]] = [
            lambda: fresh.add(Kind(color="BLUE")),
            lambda: fresh.add(Kind(color="red")),  # the member's value, not its name
            lambda: fresh.add(Kind(size="xl")),
            lambda: fresh.bulk_insert([{"color": "RED", "size": "m"}, {"color": "X", "size": "m"}]),
            lambda: fresh.count(color="BLUE"),
            lambda: fresh.count(size="xl"),
        ]
        paths = ["color", "color", "size", "rows[1].color", "color", "size"]
        for call, path in zip(bad, paths, strict=True):
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        assert fresh.count() == 3

    def test_a_string_longer_than_a_decorated_columns_length_is_a_validation_error(
        self, db: RepositoryDatabase
    ) -> None:
        """A ``TypeDecorator`` over ``String(8)`` keeps the limit of its ``String(8)``.

        PostgreSQL rejects nine characters in the column natively; SQLite and the fake
        must reject them as well, through the limit the rules read off the decorated type.
        """
        kinds: Any = db.repository(Kind)
        fits, over = "é" * 8, "é" * 9  # characters are counted, not bytes
        with pytest.raises(ValidationError) as info:
            kinds.add(Kind(code=over))
        assert [e.path for e in info.value.errors] == ["code"]
        with pytest.raises(ValidationError) as info:
            kinds.bulk_insert([{"code": fits}, {"code": over}])
        assert [e.path for e in info.value.errors] == ["rows[1].code"]
        assert kinds.count() == 0  # nothing stored, and the unit of work is usable
        obj = kinds.add(Kind(code=fits))
        with pytest.raises(ValidationError):
            kinds.upsert({"id": obj.id, "code": over}, conflict_on=["id"], update_fields=["code"])
        _flush_refuses_then_stores(kinds, obj, "code", over, fits)

    def test_a_one_character_string_column_holds_one_character(
        self, db: RepositoryDatabase
    ) -> None:
        """``String(1)``, the shortest limit, is a limit: two characters are refused.

        PostgreSQL rejects them natively; SQLite and the fake must reject them as well.
        """
        kinds: Any = db.repository(Kind)
        with pytest.raises(ValidationError) as info:
            kinds.add(Kind(letter="ab"))
        assert [e.path for e in info.value.errors] == ["letter"]
        with pytest.raises(ValidationError) as info:  # the other bounded column left out
            kinds.bulk_insert([{"letter": "a"}, {"letter": "ab"}])
        assert [e.path for e in info.value.errors] == ["rows[1].letter"]
        assert kinds.count() == 0
        assert kinds.add(Kind(letter="a")).letter == "a"
        assert kinds.count(letter="a") == 1

    @pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
    def test_a_nul_character_in_text_is_a_validation_error(
        self, db: RepositoryDatabase, bad: str
    ) -> None:
        """PostgreSQL's text holds no NUL character (U+0000), written or filtered.

        asyncpg's server answers 22021 and aborts the transaction; psycopg2 raised a bare
        ``ValueError``; SQLite and the fake stored it. Every backend refuses it before any
        I/O, and the unit of work stays usable. So is a lone surrogate (U+D800 to U+DFFF),
        which has no UTF-8 form: every driver failed with a bare ``UnicodeEncodeError``
        (psycopg2's COPY with a misleading cancellation) and the fake stored it.
        """
        products: Any = db.repository(Product)
        writes: list[tuple[Callable[[], object], str]] = [
            (lambda: products.add(Product(sku="a", name=f"x{bad}y")), "name"),
            (lambda: products.bulk_insert([{"sku": "a"}, {"sku": "b" + bad}]), "rows[1].sku"),
            (lambda: db.repository(Kind).add(Kind(code=bad)), "code"),  # a decorated String
            (lambda: db.repository(Kind).add(Kind(memo=bad * 9)), "memo"),  # unbounded Text
            (
                lambda: db.repository(Kind).bulk_insert([{"memo": "a"}, {"memo": bad}]),
                "rows[1].memo",
            ),
        ]
        for call, path in writes:
            with pytest.raises(ValidationError) as info:
                call()
            assert [e.path for e in info.value.errors] == [path]
        reads: list[Callable[[], object]] = [
            lambda: products.count(name=bad),
            lambda: products.get_by(sku="a" + bad),
        ]
        for read in reads:
            with pytest.raises(ValidationError):
                read()
        assert products.count() == 0
        obj = products.add(Product(sku="a", name="ok"))
        _flush_refuses_then_stores(products, obj, "name", f"o{bad}k", "fine")

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

    def test_server_defaults_fill_the_columns_an_insert_leaves_out(
        self, db: RepositoryDatabase
    ) -> None:
        """An ``Identity()`` key numbers rows; ``now()`` and ``CURRENT_TIMESTAMP`` stamp them.

        Literal server defaults read back as values of their column's type.

        The values are read back in a new unit of work (a server default is the database's,
        not the object's, until it is loaded); both stamps are the insert's time in UTC, to
        the second (SQLite keeps whole seconds).
        """
        stamps: Any = db.repository(Stamp)
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        first = stamps.add(Stamp(note="a"))
        stamps.bulk_insert([{"note": "b"}, {"note": None}])
        db.commit(stamps)
        after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        fresh: Any = db.repository(Stamp)
        rows = fresh.list(order_by="id")
        assert [r.note for r in rows] == ["a", "b", None]
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
        assert rows[0].id < rows[1].id < rows[2].id
        for row in rows:
            for stamp in (row.made_at, row.seen_at):
                assert stamp.utcoffset() == dt.timedelta(0)
                assert before <= stamp <= after, (before, stamp, after)

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
        for filters in ({}, {"name": "x"}, {"price": None}, {"name": "zzz"}):
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
            if page.next_cursor is None:
                break
            page = products.seek(after=page.next_cursor, limit=2, order_by="-sku")
        assert seen == ["i", "h", "g", "f", "e", "d", "c", "b", "a"]

    def test_limit_and_offset_window_the_ordered_rows(self, products: Any) -> None:
        self._seed(products)
        assert _skus(products.list(order_by="-sku", limit=2, offset=1)) == ["d", "c"]
        assert _skus(products.list(limit=0)) == []
        assert _skus(products.list(offset=4)) == ["e"]
        assert _skus(products.list(offset=9)) == []
        for bad in ({"limit": -1}, {"offset": -1}):
            with pytest.raises(ValidationError):
                products.list(**bad)

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
        for bad in ({"page": 0}, {"size": 0}, {"size": 1001}):
            with pytest.raises(ValidationError):
                products.paginate(**bad)
        smallest, largest = products.paginate(size=1), products.paginate(size=1000)
        assert (len(smallest.items), smallest.pages, len(largest.items)) == (1, 5, 5)

    def test_seek_walks_every_row_once_even_with_inserts_in_between(self, products: Any) -> None:
        self._seed(products)
        seen: list[str] = []
        page = products.seek(limit=2, order_by="-sku")
        seen += _skus(page.items)
        products.add(Product(sku="bb"))  # lands after the cursor in -sku order
        products.add(Product(sku="z"))  # lands before it: never returned by this walk
        while page.next_cursor is not None:
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
        while page.next_cursor is not None:
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

    def test_upsert_with_no_update_fields_inserts_or_leaves_the_row_alone(
        self, products: Any
    ) -> None:
        created = products.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"], update_fields=[])
        assert (created.sku, created.name, created.version) == ("a", "x", 1)
        again = products.upsert({"sku": "a", "name": "y"}, conflict_on=["sku"], update_fields=[])
        assert (again.name, again.version) == ("x", 1)  # an empty update changes nothing
        count = products.upsert_many(
            [{"sku": "a", "name": "z"}, {"sku": "b", "name": "new"}],
            conflict_on=["sku"],
            update_fields=(),
        )
        assert count == 2
        rows = products.list(order_by="sku")
        assert [(r.sku, r.name, r.version) for r in rows] == [("a", "x", 1), ("b", "new", 1)]

    def test_upsert_with_no_update_fields_on_a_model_without_version(
        self, db: RepositoryDatabase
    ) -> None:
        pairs: Any = db.repository(Pair)
        values = {"left": "l", "right": "r", "code": "c"}
        assert pairs.upsert(values, conflict_on=["left", "right"], update_fields=[]).code == "c"
        changed = {**values, "code": "d"}
        assert pairs.upsert(changed, conflict_on=["left", "right"], update_fields=[]).code == "c"

    @pytest.mark.parametrize("tampered", sorted(TAMPERED_CURSORS))
    def test_a_tampered_cursor_is_a_validation_error(self, products: Any, tampered: str) -> None:
        self._seed(products)
        with pytest.raises(ValidationError) as info:
            products.seek(after=TAMPERED_CURSORS[tampered], limit=2)
        assert [e.path for e in info.value.errors] == ["after"]
        with pytest.raises(ValidationError):  # a number where the sku order wants a string
            products.seek(after=_cursor({"o": ["sku"], "v": [5]}), limit=2, order_by="sku")

    # -- upsert --------------------------------------------------------------------------
    def test_upsert_inserts_then_does_nothing_when_update_fields_is_omitted(
        self, products: Any
    ) -> None:
        created = products.upsert({"sku": "a", "name": "x", "price": 1}, conflict_on=["sku"])
        assert (created.name, created.price, created.stock, created.version) == ("x", 1, 0, 1)
        same = products.upsert({"sku": "a", "name": "y", "price": 2}, conflict_on=["sku"])
        assert same is created
        assert (same.name, same.price, same.version) == ("x", 1, 1)
        assert products.count() == 1

    def test_upsert_updates_only_update_fields_and_bumps_version_and_onupdate(
        self, products: Any
    ) -> None:
        products.upsert({"sku": "a", "name": "x", "price": 1}, conflict_on=["sku"])
        before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        row = products.upsert(
            {"sku": "a", "name": "y", "price": 2}, conflict_on=["sku"], update_fields=["name"]
        )
        assert (row.name, row.price, row.version) == ("y", 1, 2)
        assert row.updated_at is not None
        assert row.updated_at >= before

    def test_upsert_returns_the_row_refreshed_from_the_store(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        loaded = mine.upsert({"sku": "a", "name": "x"}, conflict_on=["sku"])
        db.commit(mine)
        theirs: Any = db.repository(Product)
        theirs.upsert({"sku": "a", "name": "y"}, conflict_on=["sku"], update_fields=["name"])
        db.commit(theirs)
        assert mine.get_by(sku="a").name == "x"  # identity map: no refresh on plain reads
        again = mine.upsert({"sku": "a", "name": "ignored"}, conflict_on=["sku"])
        assert again is loaded
        assert (again.name, again.version) == ("y", 2)

    def test_upsert_validates_its_conflict_target_and_fields(self, products: Any) -> None:
        bad_calls: list[dict[str, Any]] = [
            {"values": {"sku": "a", "name": "x"}, "conflict_on": ["name"]},
            {"values": {"sku": "a"}, "conflict_on": ["sku", "name"]},
            {"values": {"name": "x"}, "conflict_on": ["sku"]},
            {"values": {"sku": "a"}, "conflict_on": ["sku"], "update_fields": ["name"]},
        ]
        for call in bad_calls:
            with pytest.raises(ValidationError):
                products.upsert(**call)
        assert products.count() == 0

    def test_upsert_conflicting_on_another_constraint_raises_and_leaves_work_usable(
        self, products: Any
    ) -> None:
        a = products.add(Product(sku="a"))
        products.add(Product(sku="b"))
        with pytest.raises(ConflictError):
            products.upsert({"id": a.id, "sku": "b"}, conflict_on=["id"], update_fields=["sku"])
        with pytest.raises(ConflictError):
            products.upsert({"id": a.id, "sku": "new"}, conflict_on=["sku"])
        assert _skus(products.list()) == ["a", "b"]
        products.add(Product(sku="c"))
        assert products.count() == 3

    def test_upsert_on_a_composite_unique_constraint(self, db: RepositoryDatabase) -> None:
        pairs: Any = db.repository(Pair)
        pairs.add(Pair(left="a", right="b", code="c", label="l"))
        row = pairs.upsert(
            {"left": "x", "right": "y", "code": "c", "label": "l"},
            conflict_on=["label", "code"],
        )
        assert (row.left, row.right) == ("a", "b")
        assert pairs.count() == 1

    def test_upsert_many_applies_every_row_atomically(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        kept = products.add(Product(sku="a", name="old", price=1))
        count = products.upsert_many(
            [{"sku": "a", "name": "new", "price": 5}, {"sku": "b", "name": "n", "price": 2}],
            conflict_on=["sku"],
            update_fields=["name"],
        )
        assert count == 2
        rows = products.list()
        assert [(r.sku, r.name, r.price, r.version) for r in rows] == [
            ("a", "old", 1, 1),  # identity map: the loaded instance is not refreshed
            ("b", "n", 2, 1),
        ]
        assert rows[0] is kept
        assert products.upsert({"sku": "a"}, conflict_on=["sku"]).name == "new"
        assert products.upsert_many([], conflict_on=["sku"]) == 0
        with pytest.raises(ValidationError):
            products.upsert_many([{"sku": "c"}, {"sku": "c"}], conflict_on=["sku"])
        with pytest.raises(ValidationError):
            products.upsert_many([{"sku": "c"}, {"sku": "d", "name": "x"}], conflict_on=["sku"])
        assert products.count() == 2
        db.commit(products)  # SQLite has one writer at a time
        pairs: Any = db.repository(Pair)
        twice = [{"left": "a", "right": "b", "code": "c", "label": "l"}] * 2
        with pytest.raises(ValidationError):
            pairs.upsert_many(twice, conflict_on=["code", "label"])
        mine = [{"left": "a", "right": "b", "code": "c", "label": "l"}]
        assert pairs.upsert_many(mine, conflict_on=["left", "right"]) == 1
        assert mine == [{"left": "a", "right": "b", "code": "c", "label": "l"}]  # untouched

    # -- bulk insert ---------------------------------------------------------------------
    def test_bulk_insert_applies_defaults_and_is_all_or_nothing(self, products: Any) -> None:
        at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        rows = [{"sku": f"s{i}", "price": i, "seen_at": at} for i in range(3)]
        assert products.bulk_insert(rows) == 3
        assert rows[0] == {"sku": "s0", "price": 0, "seen_at": at}  # the caller's dicts: as given
        assert products.bulk_insert([]) == 0
        got = products.get_by(sku="s1")
        assert (got.price, got.stock, got.version) == (1, 0, 1)
        assert got.seen_at == at
        assert got.seen_at.utcoffset() == dt.timedelta(0)
        with pytest.raises(ConflictError):
            products.bulk_insert([{"sku": "new"}, {"sku": "s0"}])
        assert products.count() == 3

    @pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
    def test_bulk_writes_with_a_wrong_type_are_validation_errors(
        self, products: Any, field: str, value: object
    ) -> None:
        good = {"sku": "ok", "price": 1, "seen_at": None}
        bad = {**good, "sku": "bad", field: value}
        with pytest.raises(ValidationError) as info:
            products.bulk_insert([good, bad])
        assert [e.path for e in info.value.errors] == [f"rows[1].{field}"]
        with pytest.raises(ValidationError):
            products.upsert_many([good, bad], conflict_on=["sku"], update_fields=["price"])
        assert products.count() == 0  # nothing stored, and the unit of work is usable
        assert products.bulk_insert([good]) == 1

    def test_bulk_writes_check_the_columns_after_one_of_unknown_type(
        self, db: RepositoryDatabase
    ) -> None:
        """A column whose value types the rules cannot know (a ``TypeDecorator``) is skipped.

        The columns after it in the row are still checked.
        """
        kinds: Any = db.repository(Kind)
        with pytest.raises(ValidationError) as info:
            kinds.bulk_insert([{"code": "a", "flag": True}, {"code": "b", "flag": "yes"}])
        assert [e.path for e in info.value.errors] == ["rows[1].flag"]
        assert kinds.count() == 0

    # -- writes through objects ----------------------------------------------------------
    @pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
    def test_object_writes_with_a_wrong_type_are_validation_errors(
        self, db: RepositoryDatabase, products: Any, field: str, value: object
    ) -> None:
        """``add()``, ``upsert()`` and a flush check types as the bulk writes do, before any I/O.

        The error names the attribute; nothing is stored and the unit of work stays usable
        (a value a driver refuses mid-flush would leave a SQL session needing a rollback).
        """
        with pytest.raises(ValidationError) as info:
            products.add(Product(**{"sku": "bad", field: value}))
        assert [e.path for e in info.value.errors] == [field]
        with pytest.raises(ValidationError) as info:
            products.upsert({"sku": "bad", field: value}, conflict_on=["sku"])
        assert [e.path for e in info.value.errors] == [field]
        assert products.count() == 0
        at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC_MINUS_3)
        good = {"sku": "ok", "price": 1, "seen_at": at}
        obj = products.add(Product(**good))
        _flush_refuses_then_stores(products, obj, field, value, good[field])
        db.commit(products)
        got: Any = db.repository(Product).get(obj.id)
        assert (got.sku, got.price, got.seen_at) == ("ok", 1, at)
        assert got.seen_at.utcoffset() == dt.timedelta(0)

    def test_a_sql_expression_does_not_hide_a_wrong_type_after_it(self, products: Any) -> None:
        """The attributes after a SQL expression (only a database evaluates it) are checked."""
        wrong: Any = "12"
        obj = Product(sku="a", stock=0, price=wrong)
        obj.name = Product.sku + "-x"  # a SQL expression, written before price is checked
        with pytest.raises(ValidationError) as info:
            products.add(obj)
        assert [e.path for e in info.value.errors] == ["price"]
        assert products.count() == 0

    def test_unflushed_adds_are_written_by_flush(self, products: Any) -> None:
        obj = products.add(Product(sku="a"), flush=False)
        assert products.count() == 0
        products.flush()
        assert products.count() == 1
        assert isinstance(obj.id, int)

    def test_unflushed_bulk_adds_are_written_by_flush(self, products: Any) -> None:
        """As serpens 2.9's ``bulk_add(objs, flush=False)``: pending until the next flush."""
        batch = [Product(sku="b"), Product(sku="a")]
        assert products.bulk_add(batch, flush=False) == batch
        assert products.count() == 0
        products.flush()
        assert _skus(products.list(order_by="sku")) == ["a", "b"]
        assert all(isinstance(p.id, int) for p in batch)

    def test_changed_objects_are_written_by_flush_with_a_version_bump(
        self, db: RepositoryDatabase, products: Any
    ) -> None:
        obj = products.add(Product(sku="a", name="x"))
        obj.name = "y"
        products.flush()
        assert (obj.version, obj.updated_at is not None) == (2, True)
        db.commit(products)
        fresh: Any = db.repository(Product)
        assert fresh.get(obj.id).name == "y"

    def test_a_stale_version_is_a_conflict(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        obj = mine.add(Product(sku="a", name="x"))
        db.commit(mine)
        theirs: Any = db.repository(Product)
        theirs.get(obj.id).name = "theirs"
        theirs.flush()
        db.commit(theirs)
        obj.name = "mine"
        with pytest.raises(ConflictError):
            mine.flush()

    def test_datetimes_round_trip_as_utc_aware(self, db: RepositoryDatabase) -> None:
        products: Any = db.repository(Product)
        at = dt.datetime(2024, 5, 6, 12, 0, tzinfo=UTC_MINUS_3)
        obj = products.add(Product(sku="a", seen_at=at))
        db.commit(products)
        other: Any = db.repository(Product)
        got = other.get(obj.id)
        assert got.seen_at == at
        assert got.seen_at.tzinfo is not None
        assert got.seen_at.utcoffset() == dt.timedelta(0)
        assert got.seen_at.hour == 15
        with pytest.raises(ValidationError):
            db.repository(Product).add(Product(sku="b", seen_at=dt.datetime(2024, 1, 1)))  # noqa: DTZ001

    # -- units of work (transactions) ---------------------------------------------------
    def test_an_uncommitted_write_is_invisible_to_other_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        mine: Any = db.repository(Product)
        obj = mine.add(Product(sku="a"))
        mine.bulk_insert([{"sku": "b"}])
        assert (mine.get(obj.id), _skus(mine.list(order_by="sku"))) == (obj, ["a", "b"])
        theirs: Any = db.repository(Product)
        assert theirs.get(obj.id) is None
        assert theirs.get_by(sku="a") is None
        assert (theirs.count(), theirs.exists(), list(theirs.list())) == (0, False, [])
        assert theirs.paginate(size=10).total == 0
        assert list(theirs.seek(limit=10).items) == []
        db.close_unit_of_work(theirs)

    def test_commit_publishes_every_write_of_the_unit_of_work(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        mine.bulk_add([Product(sku="a", name="x"), Product(sku="b")])
        mine.upsert({"sku": "c", "price": 3}, conflict_on=["sku"])
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert _skus(theirs.list(order_by="sku")) == ["a", "b", "c"]
        assert (theirs.get_by(sku="a").name, theirs.get_by(sku="c").price) == ("x", 3)
        assert theirs.count() == 3

    def test_rollback_discards_uncommitted_writes(self, db: RepositoryDatabase) -> None:
        mine: Any = db.repository(Product)
        mine.add(Product(sku="kept"))
        db.commit(mine)
        mine.add(Product(sku="gone"))
        mine.bulk_insert([{"sku": "gone2"}])
        mine.upsert({"sku": "kept", "name": "changed"}, conflict_on=["sku"], update_fields=["name"])
        db.rollback(mine)
        assert mine.get_by(sku="gone") is None
        assert _skus(mine.list(order_by="sku")) == ["kept"]
        assert mine.get_by(sku="kept").name is None
        mine.add(Product(sku="gone"))  # still usable, and the key is free again
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert _skus(theirs.list(order_by="sku")) == ["gone", "kept"]
        assert theirs.get_by(sku="kept").name is None

    def test_rollback_refreshes_every_loaded_object_and_keeps_tracking_it(
        self, db: RepositoryDatabase
    ) -> None:
        """A rollback refreshes every loaded object and keeps it in the unit of work.

        Objects loaded before it show the committed row, whatever the order they joined
        the unit of work in, and a change made after it is written by the next commit.
        """
        setup: Any = db.repository(Product)
        setup.bulk_add([Product(sku="a", name="old"), Product(sku="b", name="old")])
        db.commit(setup)
        db.close_unit_of_work(setup)
        mine: Any = db.repository(Product)
        mine.add(Product(sku="new"))  # joined first; the rollback drops it
        a, b = mine.get_by(sku="a"), mine.get_by(sku="b")
        a.name = b.name = "changed"
        mine.flush()
        db.rollback(mine)
        # read back through the repository: an async session loads nothing on attribute access
        assert (mine.get_by(sku="a"), mine.get_by(sku="b")) == (a, b)
        assert (a.name, b.name) == ("old", "old")
        assert mine.get_by(sku="new") is None
        a.name = "after"
        db.commit(mine)
        theirs: Any = db.repository(Product)
        assert (theirs.get_by(sku="a").name, theirs.get_by(sku="b").name) == ("after", "old")

    def test_closing_without_commit_discards_uncommitted_writes(
        self, db: RepositoryDatabase
    ) -> None:
        mine: Any = db.repository(Product)
        mine.add(Product(sku="a"))
        mine.bulk_insert([{"sku": "b"}])
        db.close_unit_of_work(mine)
        theirs: Any = db.repository(Product)
        assert theirs.count() == 0
        theirs.add(Product(sku="a"))  # the key is free
        db.commit(theirs)
        assert _skus(db.repository(Product).list()) == ["a"]

    def test_an_uncommitted_update_shows_the_old_row_to_other_units_of_work(
        self, db: RepositoryDatabase
    ) -> None:
        setup: Any = db.repository(Product)
        setup.add(Product(sku="a", name="old", price=1))
        db.commit(setup)
        db.close_unit_of_work(setup)
        mine: Any = db.repository(Product)
        row = mine.get_by(sku="a")
        row.name = "new"
        mine.flush()
        mine.upsert({"sku": "a", "price": 2}, conflict_on=["sku"], update_fields=["price"])
        assert (mine.get_by(sku="a").name, mine.count(name="new")) == ("new", 1)
        theirs: Any = db.repository(Product)
        seen = theirs.get_by(sku="a")
        assert (seen.name, seen.price, seen.version) == ("old", 1, 1)
        assert (theirs.count(name="new"), theirs.count(name="old")) == (0, 1)
        assert [r.name for r in theirs.list(order_by="-price")] == ["old"]
        db.close_unit_of_work(theirs)
        db.commit(mine)
        fresh: Any = db.repository(Product)
        got = fresh.get_by(sku="a")
        assert (got.name, got.price, got.version) == ("new", 2, 3)

    # -- outages: strict, bounded, recovering ---------------------------------------------
    def _outage_call(
        self, call: Callable[[], object], expected: tuple[type[Exception], ...]
    ) -> Exception:
        started = time.monotonic()
        with pytest.raises(expected) as info:
            call()
        elapsed = time.monotonic() - started
        limit = self.capabilities.outage_deadline_s + OUTAGE_MARGIN_S
        assert elapsed < limit, f"the call took {elapsed:.2f} s, more than {limit:.2f} s"
        return info.value

    def _recovered(self, db: RepositoryDatabase, sku: str) -> None:
        after: Any = db.repository(Product)
        assert after.get_by(sku=sku) is not None
        after.add(Product(sku=f"{sku}-after"))
        db.commit(after)
        db.close_unit_of_work(after)

    def _warm(self, db: RepositoryDatabase, sku: str) -> Any:
        setup: Any = db.repository(Product)
        setup.add(Product(sku=sku))
        db.commit(setup)
        db.close_unit_of_work(setup)
        held: Any = db.repository(Product)
        assert held.get_by(sku=sku) is not None  # a unit of work that has talked to the backend
        return held

    @requires("outage_unreachable")
    def test_an_unreachable_backend_raises_unavailable_then_recovers(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        db.close_unit_of_work(self._warm(db, "u"))  # its connection idles in the pool
        with repository_outage("unreachable"):
            fresh: Any = db.repository(Product)
            self._outage_call(lambda: fresh.get_by(sku="u"), (BackendUnavailableError,))
            self._outage_call(lambda: fresh.add(Product(sku="lost")), (BackendUnavailableError,))
        db.close_unit_of_work(fresh)
        self._recovered(db, "u")
        assert db.repository(Product).get_by(sku="lost") is None

    @requires("outage_frozen")
    def test_a_frozen_backend_mid_request_ends_within_the_deadline(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        held = self._warm(db, "f")
        strict = (BackendTimeoutError, BackendUnavailableError)
        with repository_outage("frozen"):
            self._outage_call(lambda: held.get_by(sku="g"), strict)
            fresh: Any = db.repository(Product)
            self._outage_call(fresh.count, strict)
        db.close_unit_of_work(fresh)
        db.close_unit_of_work(held)
        self._recovered(db, "f")

    @requires("outage_reset")
    def test_a_reset_connection_raises_unavailable_then_recovers(
        self, db: RepositoryDatabase, repository_outage: Outage
    ) -> None:
        held = self._warm(db, "r")
        with repository_outage("reset"):
            self._outage_call(
                lambda: held.upsert({"sku": "r"}, conflict_on=["sku"]), (BackendUnavailableError,)
            )
        db.close_unit_of_work(held)
        self._recovered(db, "r")

    # -- differential --------------------------------------------------------------------
    def test_differential_against_fake(self, open_repository_database: OpenDatabase) -> None:
        """Random add/bulk_add/upsert/get/list/paginate/count sequences answer like the fake."""

        class Machine(RepositoryMachine):
            def __init__(self) -> None:
                super().__init__(open_repository_database)

        run_state_machine_as_test(Machine, settings=hypothesis_settings())
