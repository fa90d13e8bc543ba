"""The in-memory document store shared between threads, at length.

The contract's thread cases are short, as they run on DynamoDB's stand-in too; here the
fake alone runs longer, so that a race shows in every run. The old fake's ``query`` read
the table's dict while other threads wrote it (``RuntimeError: dictionary changed size
during iteration``).
"""

from __future__ import annotations

import sys
import threading

from serpens.fakes import InMemoryDocumentStore


def test_queries_beside_many_writes_never_fail() -> None:
    store = InMemoryDocumentStore()
    store.create_table("events", "user", "at")
    for n in range(2000):  # a query reads the whole table: a long loop for a write to cut
        store.put("events", {"user": "other", "at": f"{n:05}"})
    errors: list[BaseException] = []
    stop = threading.Event()

    def write() -> None:
        for n in range(1000):
            store.put("events", {"user": "u", "at": f"{n:05}"})
            store.delete("events", {"user": "u", "at": f"{n - 1:05}"})
        stop.set()

    def read() -> None:
        try:
            while not stop.is_set():
                assert len(store.query("events", "u")) <= 2
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    threads = [threading.Thread(target=work) for work in (write, read, read)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert store.query("events", "u") == [{"user": "u", "at": "00999"}]
