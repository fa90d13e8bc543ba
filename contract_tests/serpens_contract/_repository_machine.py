"""Hypothesis state machine: an implementation must answer every call like the fake.

Rows are compared as normalised dicts (datetimes in UTC) without the autoincrement key,
whose values legitimately differ (PostgreSQL sequences burn numbers on conflicts). The
calls include the unit of work's ends (commit, rollback, close) and reads of what another
unit of work sees; with ``shared=True`` the products' repository shares its unit of work
with a reviews' one, whose rows refer to products (compared by the product's ``sku``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        initialize,
        invariant,
        precondition,
        rule,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens_contract._repository_databases import (
    FakeDatabase,
    RepositoryDatabase,
    SharedUnitDatabase,
)
from serpens_contract._repository_models import Product, Review
from serpens_contract.differential import observe

__all__ = ["RepositoryMachine"]


_MODELS = (Product, Review)


class _Keeper:
    """Proxy recording every object a repository call takes or returns."""

    def __init__(self, repo: Any, kept: list[Any]) -> None:
        self._repo = repo
        self._kept = kept

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repo, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._kept.extend(a for a in args if isinstance(a, _MODELS))
            self._kept.extend(a for arg in args if isinstance(arg, list) for a in arg)
            result = method(*args, **kwargs)
            if isinstance(result, _MODELS):
                self._kept.append(result)
            for attr in ("items",):
                self._kept.extend(getattr(result, attr, ()))
            if isinstance(result, list | tuple):
                self._kept.extend(r for r in result if isinstance(r, _MODELS))
            return result

        return call


_SKUS = st.sampled_from(["a", "b", "c", "d", "e"])
_NAMES = st.one_of(st.none(), st.sampled_from(["x", "y", "z"]))
_PRICES = st.one_of(st.none(), st.integers(0, 3))
_ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=-3)), dt.timezone(dt.timedelta(hours=5, minutes=30))]
)
_TIMES = st.one_of(
    st.none(),
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - bounds for aware values
        max_value=dt.datetime(2030, 1, 1),  # noqa: DTZ001
        timezones=_ZONES,
    ),
)
_VALUES = st.fixed_dictionaries(
    {"sku": _SKUS}, optional={"name": _NAMES, "price": _PRICES, "seen_at": _TIMES}
)
_FULL = {"name": None, "price": None, "seen_at": None}
_BATCHES = st.one_of(
    st.lists(_VALUES, max_size=3),  # mixed fields: a ValidationError on every implementation
    st.lists(_VALUES.map(lambda v: {**_FULL, **v}), max_size=3),
)
_ORDERS = st.sampled_from([None, "price", "-price", "name", "-name", ["name", "-price"], "-sku"])
_FILTERS = st.sampled_from([{}, {"name": None}, {"name": "x"}, {"price": 1}, {"price": None}])
_UPDATES = st.sampled_from([None, ["name"], ["name", "price"]])
_ENDS = st.sampled_from(["commit", "rollback", "close_unit_of_work"])


def row(obj: Any) -> dict[str, Any] | None:
    """The comparable state of one product (``None`` stays ``None``)."""
    if obj is None:
        return None
    seen = obj.seen_at.astimezone(dt.UTC) if obj.seen_at is not None else None
    return {
        "sku": obj.sku,
        "name": obj.name,
        "price": obj.price,
        "stock": obj.stock,
        "seen_at": seen,
        "version": obj.version,
    }


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in ("sku", "name", "price", "seen_at") if k in values}


class RepositoryMachine(RuleBasedStateMachine):
    """Drives the fake and one implementation with the same random calls."""

    def __init__(
        self, open_database: Callable[[], RepositoryDatabase], *, shared: bool = False
    ) -> None:
        super().__init__()
        self.shared = shared
        self.fake_database = FakeDatabase()
        self.database = open_database()
        self.model, self.model_reviews = self._open(self.fake_database)
        self.impl, self.impl_reviews = self._open(self.database)
        # Keep every object: a Session forgets unreferenced objects, the fake does not.
        self.kept_model: list[Any] = []
        self.kept_impl: list[Any] = []

    def _open(self, database: RepositoryDatabase) -> tuple[Any, Any]:
        """The products' repository, and the reviews' in its unit of work when shared."""
        if self.shared:
            products, reviews = cast("SharedUnitDatabase", database).repositories(Product, Review)
            return products, reviews
        return database.repository(Product), None

    def teardown(self) -> None:
        """End the implementation's units of work (returns pooled connections)."""
        self.database.close()
        self.fake_database.close()

    @staticmethod
    def _keep(call: Callable[[Any], Any], kept: list[Any]) -> Callable[[Any], Any]:
        def run(repo: Any) -> Any:
            spy = _Keeper(repo, kept)
            return call(spy)

        return run

    def _both(self, name: str, call: Callable[[Any], Any]) -> None:
        expected = observe(self._keep(call, self.kept_model), self.model)
        actual = observe(self._keep(call, self.kept_impl), self.impl)
        assert actual == expected, f"{name}: {actual} != fake {expected}"

    def _both_units(
        self,
        name: str,
        call: Callable[[RepositoryDatabase, Any, Any], Any],
        *,
        keep: bool = True,
    ) -> None:
        """*call* with each side's database and its products' and reviews' repositories.

        With *keep*, behind proxies keeping every object they hand out; without, as they
        are (the database's ``commit(repository)`` and its kin take the repository itself).
        """
        sides = (
            (self.fake_database, self.model, self.model_reviews, self.kept_model),
            (self.database, self.impl, self.impl_reviews, self.kept_impl),
        )
        outcomes = []
        for database, products, reviews, kept in sides:
            repos = (products, reviews)
            if keep:
                repos = (
                    _Keeper(products, kept),
                    None if reviews is None else _Keeper(reviews, kept),
                )
            outcomes.append(observe(call, database, *repos))
        expected, actual = outcomes
        assert actual == expected, f"{name}: {actual} != fake {expected}"

    @initialize(
        batch=st.lists(
            _VALUES.map(lambda v: {**_FULL, **v}),
            min_size=2,
            max_size=5,
            unique_by=lambda v: v["sku"],
        )
    )
    def seed(self, batch: list[dict[str, Any]]) -> None:
        self._both(f"seed({batch})", lambda r: r.bulk_insert(batch))

    @invariant()
    def ordered_window(self) -> None:
        """After every step, one ordered, offset window: ordering and slicing cannot drift.

        Left to the random ``list`` rule alone, a mutant ignoring ``order_by`` or slicing
        ``[offset:limit]`` slipped past this test in roughly one run in ten.
        """
        self._both(
            "list(-sku, limit=2, offset=2)",
            lambda r: [row(o) for o in r.list(order_by="-sku", limit=2, offset=2)],
        )

    @rule(values=_VALUES)
    def add(self, values: dict[str, Any]) -> None:
        self._both(f"add({values})", lambda r: row(r.add(Product(**_fields(values)))))

    @rule(batch=st.lists(_VALUES, max_size=3))
    def bulk_add(self, batch: list[dict[str, Any]]) -> None:
        self._both(
            f"bulk_add({batch})",
            lambda r: [row(o) for o in r.bulk_add([Product(**_fields(v)) for v in batch])],
        )

    @rule(values=_VALUES)
    def add_pending(self, values: dict[str, Any]) -> None:
        """``add(obj, flush=False)``: written by the next flush, write or commit."""
        self._both(
            f"add_pending({values})",
            lambda r: r.add(Product(**_fields(values)), flush=False) and None,
        )

    @rule()
    def flush(self) -> None:
        self._both("flush()", lambda r: r.flush())

    def _set_loaded(self, name: str, sku: str, attribute: str, value: object) -> None:
        """Set *attribute* of the loaded object of *sku* to *value*, without a flush."""

        def call(r: Any) -> Any:
            obj = r.get_by(sku=sku)
            if obj is not None:
                setattr(obj, attribute, value)
            return row(obj)

        self._both(name, call)

    @rule(sku=_SKUS, price=_PRICES)
    def change_loaded(self, sku: str, price: int | None) -> None:
        """Set a loaded object's price without a flush."""
        self._set_loaded(f"change_loaded({sku}, {price})", sku, "price", price)

    @rule(sku=_SKUS)
    def null_loaded_sku(self, sku: str) -> None:
        """Set a loaded object's NOT NULL ``sku`` to ``None``, without a flush.

        Whatever flushes it next fails the unit of work; of several refused rows, the
        first by key decides, or a NULL in a run of same-column updates (one executemany)
        wins over a stale row of that run, whose count comes after it.
        """
        self._set_loaded(f"null_loaded_sku({sku})", sku, "sku", None)

    @rule(values=_VALUES, update_fields=_UPDATES)
    def upsert(self, values: dict[str, Any], update_fields: list[str] | None) -> None:
        self._both(
            f"upsert({values}, {update_fields})",
            lambda r: row(r.upsert(values, conflict_on=["sku"], update_fields=update_fields)),
        )

    @rule(batch=_BATCHES, update_fields=_UPDATES)
    def upsert_many(self, batch: list[dict[str, Any]], update_fields: list[str] | None) -> None:
        self._both(
            f"upsert_many({batch}, {update_fields})",
            lambda r: r.upsert_many(batch, conflict_on=["sku"], update_fields=update_fields),
        )

    @rule(batch=_BATCHES)
    def bulk_insert(self, batch: list[dict[str, Any]]) -> None:
        self._both(f"bulk_insert({batch})", lambda r: r.bulk_insert(batch))

    @rule(sku=_SKUS, name=_NAMES)
    def rename_and_flush(self, sku: str, name: str | None) -> None:
        def call(r: Any) -> Any:
            obj = r.upsert({"sku": sku}, conflict_on=["sku"])  # current version, refreshed
            obj.name = name
            r.flush()
            return row(obj)

        self._both(f"rename({sku}, {name})", call)

    @rule(sku=_SKUS)
    def get(self, sku: str) -> None:
        def call(r: Any) -> Any:
            found = r.get_by(sku=sku)
            return row(found if found is None else r.get(found.id))

        self._both(f"get({sku})", call)

    @rule(
        order_by=_ORDERS,
        filters=_FILTERS,
        limit=st.sampled_from([None, 0, 1, 3]),
        offset=st.sampled_from([None, 1, 4]),
    )
    def list(
        self, order_by: Any, filters: dict[str, Any], limit: int | None, offset: int | None
    ) -> None:
        self._both(
            f"list({order_by}, {filters}, {limit}, {offset})",
            lambda r: [
                row(o) for o in r.list(order_by=order_by, limit=limit, offset=offset, **filters)
            ],
        )

    @rule(page=st.integers(1, 4), size=st.integers(1, 3), order_by=_ORDERS)
    def paginate(self, page: int, size: int, order_by: Any) -> None:
        def call(r: Any) -> Any:
            got = r.paginate(page=page, size=size, order_by=order_by)
            return ([row(o) for o in got.items], got.total, got.page, got.size, got.pages)

        self._both(f"paginate({page}, {size}, {order_by})", call)

    @rule(
        limit=st.integers(1, 3),
        order_by=st.sampled_from([None, "sku", "-sku", ["-stock", "-version"]]),
    )
    def seek(self, limit: int, order_by: Any) -> None:
        def call(r: Any) -> Any:
            pages = [r.seek(limit=limit, order_by=order_by)]
            most = r.count() + 1  # pages a walk can take: a runaway walk ends, and differs
            while pages[-1].next_cursor is not None and len(pages) <= most:
                pages.append(r.seek(after=pages[-1].next_cursor, limit=limit, order_by=order_by))
            return [[row(o) for o in p.items] for p in pages]

        self._both(f"seek({limit}, {order_by})", call)

    @rule(filters=_FILTERS)
    def count_and_exists(self, filters: dict[str, Any]) -> None:
        self._both(f"count({filters})", lambda r: (r.count(**filters), r.exists(**filters)))

    # -- the unit of work ----------------------------------------------------------------
    @rule(how=_ENDS, through_reviews=st.booleans())
    def end(self, how: str, through_reviews: bool) -> None:
        """Commit, roll back or close the unit of work, from either of its repositories."""

        def call(database: RepositoryDatabase, products: Any, reviews: Any) -> None:
            getattr(database, how)(reviews if through_reviews and self.shared else products)

        self._both_units(how, call, keep=False)

    @rule()
    def committed(self) -> None:
        """What a new unit of work sees: the committed products (and reviews), in order."""

        def call(database: RepositoryDatabase, _products: Any, _reviews: Any) -> Any:
            other: Any = database.repository(Product)
            try:
                seen = [row(o) for o in other.list(order_by="sku")]
                skus = {o.id: o.sku for o in other.list()}
            finally:
                database.close_unit_of_work(other)
            if not self.shared:
                return seen
            theirs: Any = database.repository(Review)
            try:
                return seen, _review_rows(theirs.list(), skus)
            finally:
                database.close_unit_of_work(theirs)

        self._both_units("committed", call)

    @precondition(lambda self: self.shared)
    @rule(sku=st.one_of(st.none(), _SKUS), stars=st.integers(1, 5))
    def add_review(self, sku: str | None, stars: int) -> None:
        """A review of the product with *sku* in the unit of work (of none if it has none)."""

        def call(_database: RepositoryDatabase, products: Any, reviews: Any) -> Any:
            target = None if sku is None else products.get_by(sku=sku)
            ident = None if target is None else target.id
            review = reviews.add(Review(product_id=ident, stars=stars))
            return review.stars, None if target is None else target.sku

        self._both_units(f"add_review({sku}, {stars})", call)

    @precondition(lambda self: self.shared)
    @rule()
    def reviews_seen(self) -> None:
        """The reviews the unit of work sees, each with its product's ``sku``."""

        def call(_database: RepositoryDatabase, products: Any, reviews: Any) -> Any:
            skus = {o.id: o.sku for o in products.list()}
            return _review_rows(reviews.list(), skus)

        self._both_units("reviews_seen", call)


def _review_rows(rows: Any, skus: dict[Any, str]) -> list[tuple[int, str | None]]:
    return sorted(
        ((r.stars, skus[r.product_id] if r.product_id is not None else None) for r in rows),
        key=lambda pair: (pair[0], pair[1] or ""),
    )
