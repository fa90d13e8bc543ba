"""Repository cases of threads, each with its own units of work on one database.

One theme of :class:`~serpens_contract.repository.RepositoryContract`, for synchronous
repositories (capability ``threads``): a threaded web server's workers each open a unit of
work per request on one engine, or on one in-memory database in their tests. Generated
keys are handed out once, no committed row is lost, and two units of work committing one
unique value cannot both win, as a database's unique index decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens.errors import ConflictError
from serpens_contract._repository_databases import RepositoryDatabase
from serpens_contract._repository_models import Product
from serpens_contract._threads import on_threads, starting_line
from serpens_contract.capabilities import requires

THREADS = 4
ROWS = 25
ROUNDS = 10


def _commit_one(db: RepositoryDatabase, product: Product) -> bool:
    """Add *product* in a unit of work of its own and commit it; ``False`` on a conflict."""
    repo: Any = db.repository(Product)
    try:
        repo.add(product)
        db.commit(repo)
    except ConflictError:
        return False
    finally:
        db.close_unit_of_work(repo)  # a failed one holds no lock or connection
    return True


class ThreadCases:
    """Units of work on several threads at once."""

    @requires("threads")
    def test_units_of_work_on_threads_commit_every_row_under_its_own_key(
        self, db: RepositoryDatabase
    ) -> None:
        """Rows committed from threads at once are all stored, each under a new key.

        Each round, every thread adds a row without a flush and all commit together, so
        the keys are generated at the same moment.
        """
        barrier = starting_line(THREADS)

        def writer(n: int) -> Callable[[], None]:
            def write() -> None:
                for i in range(ROWS):
                    repo: Any = db.repository(Product)
                    try:
                        repo.add(Product(sku=f"t{n}-{i:02}"), flush=False)
                        barrier.wait()
                        db.commit(repo)
                    finally:
                        db.close_unit_of_work(repo)

            return write

        assert on_threads([writer(n) for n in range(THREADS)]) == []
        stored = db.repository(Product).list()
        assert sorted(p.sku for p in stored) == sorted(
            f"t{n}-{i:02}" for n in range(THREADS) for i in range(ROWS)
        )
        assert len({p.id for p in stored}) == THREADS * ROWS

    @requires("threads")
    def test_of_threads_committing_one_unique_value_exactly_one_wins(
        self, db: RepositoryDatabase
    ) -> None:
        """Units of work racing to commit one ``sku``: one stores its row, the others conflict."""
        winners: dict[str, list[int]] = {f"race-{r}": [] for r in range(ROUNDS)}
        barrier = starting_line(THREADS)

        def racer(me: int) -> Callable[[], None]:
            def race() -> None:
                for sku, won in winners.items():
                    barrier.wait()  # every racer adds the same sku at once
                    if _commit_one(db, Product(sku=sku, name=f"by {me}")):
                        won.append(me)

            return race

        assert on_threads([racer(me) for me in range(THREADS)]) == []
        assert {sku: len(won) for sku, won in winners.items()} == dict.fromkeys(winners, 1)
        reader: Any = db.repository(Product)
        for sku, won in winners.items():
            assert reader.get_by(sku=sku).name == f"by {won[0]}"
        assert reader.count() == ROUNDS
