"""The outage cases themselves: the report shows the declaration, and wrong behaviour fails.

Each cell below is a cache suite on the in-memory fake with one outage bug: a strict
cache that keeps answering during the outage, a fail-open cache that raises, a cache
whose calls block past the declared deadline (the watched thread fails the test instead
of hanging the run), and a fake that never recovers. The honest fakes pass; a cell with
no hook gets every outage case as a reported skip.
"""

from __future__ import annotations

import json

import pytest

CELLS = """
import threading
import pytest
from serpens.fakes import InMemoryCache
from serpens_contract import CacheCapabilities, CacheContract
from serpens_contract.outage import ALL_KINDS, FakeOutages, OutageCapabilities

INJECTED = CacheCapabilities(clock="injected", ttl_resolution=0.0)
STRICT = OutageCapabilities(mode="strict", kinds=ALL_KINDS, deadline=0.0, margin=0.3,
                            recovery=0.3)
FAIL_OPEN = OutageCapabilities(mode="fail_open", kinds=ALL_KINDS, deadline=0.0, margin=0.3,
                               recovery=0.3)


class Cell(CacheContract):
    capabilities = INJECTED
    outage_capabilities = STRICT
    fake = InMemoryCache

    @pytest.fixture
    def fakes(self):
        return FakeOutages()

    @pytest.fixture
    def open_cache(self, clock, fakes):
        return lambda namespace: fakes.track(self.fake(clock=clock))

    @pytest.fixture
    def outage(self, fakes):
        return fakes.outage


class IgnoresOutages(InMemoryCache):
    def _down(self):
        return False


class Blocks(InMemoryCache):
    # each call waits for the outage to end: a client without a deadline

    def start_outage(self, *, timeout=False):
        self.thaw = threading.Event()
        super().start_outage(timeout=timeout)

    def end_outage(self):
        super().end_outage()
        self.thaw.set()

    def _down(self):
        if self.in_outage:
            self.thaw.wait(5)
        return super()._down()


class NeverRecovers(InMemoryCache):
    def end_outage(self):
        pass


class TestHonestStrict(Cell):
    pass


class TestHonestFailOpen(Cell):
    outage_capabilities = FAIL_OPEN

    @pytest.fixture
    def open_cache(self, clock, fakes):
        return lambda namespace: fakes.track(InMemoryCache(clock=clock, fail_open=True))


class TestNoHook(CacheContract):
    capabilities = INJECTED

    @pytest.fixture
    def open_cache(self, clock):
        return lambda namespace: InMemoryCache(clock=clock)


class TestIgnoresOutages(Cell):
    fake = IgnoresOutages


class TestRaisesWhenFailOpen(Cell):
    # a strict fake declared fail-open: it raises during the outage

    outage_capabilities = FAIL_OPEN


class TestBlocks(Cell):
    fake = Blocks


class TestNeverRecovers(Cell):
    fake = NeverRecovers
"""


def test_outage_cases_catch_each_bug_and_the_report_shows_the_mode(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_cells=CELLS)
    reprec = pytester.inline_run(
        "-p", "no:cacheprovider", "-k", "or_misses_in_time",
        "--serpens-contract-report=report.json",
    )  # fmt: skip
    failed = {tuple(r.nodeid.split("::")[1:3]) for r in reprec.getfailures()}
    by_class: dict[str, set[str]] = {}
    for cls, test in failed:
        by_class.setdefault(cls, set()).add(test)
    kinds = {"refused", "frozen", "reset"}
    assert set(by_class) == {
        "TestIgnoresOutages",
        "TestRaisesWhenFailOpen",
        "TestBlocks",
        "TestNeverRecovers",
    }, failed
    for cls, tests in by_class.items():
        assert {kind for kind in kinds if any(f"_{kind}_" in t for t in tests)} == kinds, cls
    passed, skipped, _ = reprec.listoutcomes()
    assert {r.nodeid.split("::")[1] for r in skipped} == {"TestNoHook"}
    assert len(skipped) == 3
    assert {r.nodeid.split("::")[1] for r in passed} == {"TestHonestStrict", "TestHonestFailOpen"}

    rows = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))["suites"]
    outage = {row["implementation"].split("::")[1]: row["outage"] for row in rows}
    assert outage["TestHonestStrict"] == "strict; refused, frozen, reset within 0 s + 0.3 s"
    assert outage["TestHonestFailOpen"].startswith("fail-open; refused, frozen, reset")
    assert outage["TestNoHook"] == "strict, no outage hook"
    no_hook = next(row for row in rows if row["implementation"].endswith("TestNoHook"))
    assert {s["reason"].split(":")[0] for s in no_hook["skipped"]} == {
        "capability 'outage_refused' not supported by TestNoHook",
        "capability 'outage_frozen' not supported by TestNoHook",
        "capability 'outage_reset' not supported by TestNoHook",
    }
