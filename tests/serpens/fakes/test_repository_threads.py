"""Units of work of the in-memory repository on many threads, sharing one database.

As sessions of one engine on a threaded web server do. The old fake handed two threads
the same generated key (the second commit then failed as a duplicate), could build a
lazily made index while another thread's commit landed (a row missing from ``list``
ever after), and let a read see part of another thread's commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from serpens.errors import ConflictError
from serpens.fakes import InMemoryDatabase, InMemoryRepository
from serpens_contract._repository_models import Product
from serpens_contract._threads import on_threads

THREADS = 4


def test_threads_adding_distinct_rows_all_commit_with_keys_of_their_own() -> None:
    db = InMemoryDatabase()

    def add(me: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(600):
                repo = InMemoryRepository(Product, database=db)
                repo.add(Product(sku=f"{me}-{i}"))
                repo.commit()

        return work

    assert on_threads([add(me) for me in range(8)]) == []
    rows = InMemoryRepository(Product, database=db).list()
    assert len({row.id for row in rows}) == len(rows) == 8 * 600


def test_of_threads_committing_one_unique_value_exactly_one_wins() -> None:
    db = InMemoryDatabase()
    won: dict[int, list[int]] = {i: [] for i in range(300)}

    def add(me: int) -> Callable[[], None]:
        def work() -> None:
            for i, winners in won.items():
                repo = InMemoryRepository(Product, database=db)
                try:
                    repo.add(Product(sku=f"sku-{i}"))
                    repo.commit()
                except ConflictError:
                    repo.rollback()
                    continue
                winners.append(me)

        return work

    assert on_threads([add(me) for me in range(THREADS)]) == []
    assert [len(winners) for winners in won.values()] == [1] * len(won)


def test_an_index_first_built_beside_commits_holds_every_row() -> None:
    """``list(order_by=...)`` builds its ordered index on first use, from the committed rows."""
    for _ in range(20):
        db = InMemoryDatabase()
        seed = InMemoryRepository(Product, database=db)
        seed.bulk_insert([{"sku": f"seed-{i}", "name": f"n{i}"} for i in range(300)])
        seed.commit()

        def write(db: InMemoryDatabase = db) -> None:
            for i in range(50):
                repo = InMemoryRepository(Product, database=db)
                repo.add(Product(sku=f"new-{i}", name=f"m{i}"))
                repo.commit()

        def read(db: InMemoryDatabase = db) -> None:
            InMemoryRepository(Product, database=db).list(order_by="name", limit=1)

        assert on_threads([write, read]) == []
        final = InMemoryRepository(Product, database=db)
        assert len(final.list(order_by="name")) == final.count() == 350


def test_a_read_sees_another_threads_commit_whole_or_not_at_all() -> None:
    """Each commit adds ten rows: a read of every row, or a count, sees a multiple of ten."""
    db = InMemoryDatabase()
    seen: list[int] = []
    done = threading.Event()

    def write() -> None:
        for i in range(200):
            repo = InMemoryRepository(Product, database=db)
            repo.bulk_add([Product(sku=f"{i}-{n}") for n in range(10)])
            repo.commit()
        done.set()

    def read() -> None:
        while not done.is_set():
            repo = InMemoryRepository(Product, database=db)
            seen.extend((len(repo.list()), repo.count(), len(repo.list(order_by="sku"))))

    assert on_threads([write, read]) == []
    assert seen
    assert [n for n in seen if n % 10] == []
