"""Mutant document stores: the DocumentStore suite must fail when behaviour drifts.

Each mutant is the in-memory fake, the DynamoDB adapter (on moto's server) or a shared
rule with one deliberate bug. The suite runs against it in a pytester sandbox, and the
tests that pin the broken behaviour must fail (including the differential test, which
compares with the genuine fake).
"""

import pytest

HEADER = """
import boto3
import pytest
from serpens.fakes import InMemoryDocumentStore
from serpens_aws import DynamoDBDocumentStore
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
    "item_size_unchecked": (
        # the shared rule, patched only while this mutant stores an item: the fake then
        # stores what DynamoDB refuses
        """
import serpens.fakes._document as module

class Mutant(InMemoryDocumentStore):
    def put(self, table, item, *, if_absent=False):
        genuine = module.check_item_size
        module.check_item_size = lambda stored: None
        try:
            super().put(table, item, if_absent=if_absent)
        finally:
            module.check_item_size = genuine
""",
        ["test_invalid_items_are_validation_errors"],
    ),
    "number_limits_unchecked": (
        # the shared rule, patched only while this mutant stores an item: the fake then
        # stores numbers DynamoDB refuses (1e308, 39 digits)
        """
import serpens._rules.document._values as rules

class Mutant(InMemoryDocumentStore):
    def put(self, table, item, *, if_absent=False):
        genuine = rules._number_problem
        rules._number_problem = lambda number: None
        try:
            super().put(table, item, if_absent=if_absent)
        finally:
            rules._number_problem = genuine
""",
        ["test_numbers_dynamodb_cannot_store_are_validation_errors"],
    ),
    "fake_ignores_key_types": (
        """
class Mutant(InMemoryDocumentStore):
    def create_table(self, table, partition_key, sort_key=None, **types):
        super().create_table(table, partition_key, sort_key, **types)
        self._tables[table].types.clear()
""",
        ["test_numeric_sort_keys_order_numerically", "test_invalid_items_are_validation_errors"],
    ),
    "adapter_declares_string_keys_only": (
        """
class Mutant(DynamoDBDocumentStore):
    def create_table(self, table, partition_key, sort_key=None, **types):
        super().create_table(table, partition_key, sort_key)
""",
        ["test_numeric_sort_keys_order_numerically"],
    ),
    "adapter_query_returns_only_the_first_page": (
        """
class FirstPageOnly:
    def __init__(self, client):
        self._client = client
    def __getattr__(self, name):
        return getattr(self._client, name)
    def query(self, **request):
        page = self._client.query(**request)
        page.pop("LastEvaluatedKey", None)
        return page

class Mutant(DynamoDBDocumentStore):
    def __init__(self):
        super().__init__(FirstPageOnly(boto3.client("dynamodb")))
""",
        ["test_query_follows_pages_past_1mb"],
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
@pytest.mark.usefixtures("mutant_settings", "moto_endpoint")
def test_the_suite_catches_the_mutant(pytester: pytest.Pytester, mutant: str) -> None:
    code, must_fail = MUTANTS[mutant]
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_mutant=HEADER + code + FOOTER)
    # only the tests that must catch this mutant run: the rest would pass and cost time
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", " or ".join(must_fail))
    failed = {
        report.nodeid.split("::")[-1].split("[")[0]
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.failed
    }
    assert set(must_fail) <= failed, f"{mutant} slipped through; failed only {sorted(failed)}"
