"""The in-memory document store shared between threads, at length.

The contract's thread cases are short, as they run on DynamoDB's stand-in too; here the
fake alone runs longer, so that a race shows in every run. The old fake's ``query`` read
the table's dict while other threads wrote it (``RuntimeError: dictionary changed size
during iteration``).
"""

from __future__ import annotations

import threading

from serpens.fakes import InMemoryDocumentStore
from serpens_contract._threads import on_threads


def test_queries_beside_many_writes_never_fail() -> None:
    store = InMemoryDocumentStore()
    store.create_table("events", "user", "at")
    for n in range(2000):  # a query reads the whole table: a long loop for a write to cut
        store.put("events", {"user": "other", "at": f"{n:05}"})
    stop = threading.Event()

    def write() -> None:
        for n in range(1000):
            store.put("events", {"user": "u", "at": f"{n:05}"})
            store.delete("events", {"user": "u", "at": f"{n - 1:05}"})
        stop.set()

    def read() -> None:
        while not stop.is_set():
            assert len(store.query("events", "u")) <= 2

    assert on_threads([write, read, read]) == []
    assert store.query("events", "u") == [{"user": "u", "at": "00999"}]
