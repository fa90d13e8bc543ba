"""Mutant document stores: the DocumentStore suite must fail when behaviour drifts.

Each mutant is the in-memory fake with one deliberate bug. The suite runs against it in
a pytester sandbox, and the tests that pin the broken behaviour must fail (including
the differential test, which compares with the genuine fake).
"""

import pytest

HEADER = """
import pytest
from serpens.fakes import InMemoryDocumentStore
from serpens_contract import DocumentStoreContract
"""

FOOTER = """
class TestMutant(DocumentStoreContract):
    @pytest.fixture
    def open_document_store(self):
        return lambda namespace: Mutant()
"""

MUTANTS = {
    "put_if_absent_overwrites": (
        """
class Mutant(InMemoryDocumentStore):
    def put(self, table, item, *, if_absent=False):
        super().put(table, item)
""",
        ["test_put_if_absent_conflicts_and_keeps_the_existing_item"],
    ),
    "query_ignores_descending": (
        """
class Mutant(InMemoryDocumentStore):
    def query(self, table, partition, *, sort_prefix=None, descending=False, limit=None):
        return super().query(table, partition, sort_prefix=sort_prefix, limit=limit)
""",
        ["test_query_orders_by_sort_key_filters_by_prefix_and_limits"],
    ),
    "delete_always_reports_true": (
        """
class Mutant(InMemoryDocumentStore):
    def delete(self, table, key):
        super().delete(table, key)
        return True
""",
        ["test_delete_reports_whether_the_item_existed", "test_differential_against_fake"],
    ),
    "floats_read_back_as_float": (
        """
class Mutant(InMemoryDocumentStore):
    def get(self, table, key):
        item = super().get(table, key)
        if item is not None:
            item = {k: float(v) if type(v).__name__ == "Decimal" else v for k, v in item.items()}
        return item
""",
        ["test_put_then_get_round_trips_every_value_type"],
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_the_mutant(pytester: pytest.Pytester, mutant: str) -> None:
    code, must_fail = MUTANTS[mutant]
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_mutant=HEADER + code + FOOTER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q")
    failed = {
        report.nodeid.split("::")[-1].split("[")[0]
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.failed
    }
    assert set(must_fail) <= failed, f"{mutant} slipped through; failed only {sorted(failed)}"
