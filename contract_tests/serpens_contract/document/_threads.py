"""Document store cases of threads sharing one store: conditional puts are atomic.

One theme of :class:`~serpens_contract.document.DocumentStoreContract`. DynamoDB
evaluates a put's condition and writes the item as one step, so ``put(if_absent=True)``
serves as a lock or a once-only marker between workers; a store that checks and then
writes lets two of them win.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens.errors import ConflictError
from serpens_contract._threads import on_threads, starting_line
from serpens_contract.capabilities import requires

RACERS = 4
ROUNDS = 20


class _DocumentThreadCases:
    """Threads sharing one store."""

    @requires("atomic_conditional_put")
    def test_of_threads_racing_to_create_one_item_exactly_one_wins(self, tables: Any) -> None:
        """``put(if_absent=True)`` is atomic: one racer stores its item, the others conflict."""
        store, people, _ = tables
        winners: dict[str, list[int]] = {f"race-{n}": [] for n in range(ROUNDS)}
        barrier = starting_line(RACERS)

        def racer(me: int) -> Callable[[], None]:
            def race() -> None:
                for key, won in winners.items():
                    barrier.wait()  # all racers put the same key at once
                    try:
                        store.put(people, {"id": key, "by": me}, if_absent=True)
                    except ConflictError:
                        continue
                    won.append(me)

            return race

        assert on_threads([racer(me) for me in range(RACERS)]) == []
        assert {key: len(won) for key, won in winners.items()} == dict.fromkeys(winners, 1)
        for key, won in winners.items():
            assert store.get(people, {"id": key}) == {"id": key, "by": won[0]}

    @requires("queries_beside_writes")
    def test_queries_while_other_threads_write_see_whole_items(self, tables: Any) -> None:
        """A query running beside puts and deletes of its partition never fails."""
        store, _, events = tables
        seen: list[int] = []

        def write() -> None:
            for n in range(150):
                store.put(events, {"user": "u", "at": f"{n:03}", "n": n})
                if n % 3 == 0:
                    store.delete(events, {"user": "u", "at": f"{n:03}"})

        def read() -> None:
            for _ in range(40):
                items = store.query(events, "u")
                assert all(item["n"] == int(str(item["at"])) for item in items)
                seen.append(len(items))

        assert on_threads([write, read, read]) == []
        assert len(seen) == 80
        assert len(store.query(events, "u")) == 100  # 150 written, 50 of them deleted
