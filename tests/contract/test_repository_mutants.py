"""Mutant repositories: the Repository suite must fail when behaviour drifts.

Each mutant is the in-memory fake with one deliberate bug (several are the bugs other
libraries' fakes actually shipped). The suite runs against it in a pytester sandbox, and
the tests that pin the broken behaviour must fail, the differential test included. The
SQLAlchemy adapter's mutants are in `test_repository_adapter_mutants.py`.
"""

import pytest

import serpens_contract._threads

HEADER = """
import pytest
from serpens.fakes import InMemoryRepository
from serpens.ports import Page
from serpens_contract import RepositoryContract
from serpens_contract.repository import FakeDatabase, RepositoryCapabilities
"""

FOOTER = """
class Test_{name}(RepositoryContract):
    capabilities = RepositoryCapabilities(shared_units_of_work=True, threads=True)

    @pytest.fixture
    def open_repository_database(self):
        return lambda: FakeDatabase(factory={name})
"""

MUTANTS = {
    "upsert_updates_when_update_fields_is_omitted": (
        """
class {name}(InMemoryRepository):
    def upsert(self, values, *, conflict_on, update_fields=None):
        fields = update_fields or [k for k in values if k not in conflict_on]
        return super().upsert(values, conflict_on=conflict_on, update_fields=fields)
""",
        [
            "test_upsert_inserts_then_does_nothing_when_update_fields_is_omitted",
            "test_differential_against_fake",
        ],
    ),
    "paginate_total_off_by_one": (
        """
class {name}(InMemoryRepository):
    def paginate(self, *, page=1, size=20, order_by=None):
        got = super().paginate(page=page, size=size, order_by=order_by)
        return Page(items=got.items, total=got.total + 1, page=page, size=size)
""",
        ["test_paginate_reports_the_true_total_on_every_page", "test_differential_against_fake"],
    ),
    "paginate_defaults_to_50_rows": (
        """
class {name}(InMemoryRepository):
    def paginate(self, *, page=1, size=50, order_by=None):
        return super().paginate(page=page, size=size, order_by=order_by)
""",
        ["test_seek_takes_50_rows_and_paginate_20_by_default_and_a_last_page_has_no_cursor"],
    ),
    "bulk_add_flushes_when_told_not_to": (
        """
class {name}(InMemoryRepository):
    def bulk_add(self, objs, *, flush=True):
        return super().bulk_add(objs)
""",
        ["test_unflushed_bulk_adds_are_written_by_flush"],
    ),
    "seek_clamps_its_limit": (
        """
class {name}(InMemoryRepository):
    def seek(self, *, after=None, limit=50, order_by=None):
        limit = min(max(int(limit), 1), 1000)
        return super().seek(after=after, limit=limit, order_by=order_by)
""",
        ["test_seek_refuses_a_limit_outside_one_to_the_page_maximum"],
    ),
    "list_ignores_order_by": (
        """
class {name}(InMemoryRepository):
    def list(self, *, order_by=None, limit=None, offset=None, **filters):
        return super().list(limit=limit, offset=offset, **filters)
""",
        [
            "test_order_defaults_to_the_key_and_nulls_sort_last_ascending",
            "test_differential_against_fake",
        ],
    ),
    "offset_slices_up_to_limit_instead_of_offset_plus_limit": (
        """
class {name}(InMemoryRepository):
    def list(self, *, order_by=None, limit=None, offset=None, **filters):
        rows = super().list(order_by=order_by, **filters)
        return rows[offset or 0 : limit]
""",
        ["test_limit_and_offset_window_the_ordered_rows", "test_differential_against_fake"],
    ),
    "count_ignores_filters": (
        """
class {name}(InMemoryRepository):
    def count(self, **filters):
        self.list(**filters)  # still validates names
        return super().count()
""",
        ["test_filters_are_equality_and_none_means_null", "test_differential_against_fake"],
    ),
    "only_the_primary_key_is_unique": (
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._info = type(self._info)(self.model)
        self._info.unique_sets = self._info.unique_sets[:1]
        self._rules.info = self._info
        self._rules.uniques = self._rows.uniques = ()
""",
        [
            "test_a_duplicate_add_conflicts_and_the_unit_of_work_stays_usable",
            "test_differential_against_fake",
        ],
    ),
    "flushed_writes_are_published_at_once": (
        """
class {name}(InMemoryRepository):
    def _flush(self, extra=()):
        super()._flush(extra)
        self._rows.publish()  # no transactions: what the fake did before units of work
""",
        [
            "test_an_uncommitted_write_is_invisible_to_other_units_of_work",
            "test_an_uncommitted_update_shows_the_old_row_to_other_units_of_work",
        ],
    ),
    "a_shared_commit_publishes_only_its_own_model": (
        """
class {name}(InMemoryRepository):
    def commit(self):  # as if the repository had a unit of work of its own
        self._flush()
        self._rows.publish()
""",
        ["test_a_commit_from_any_repository_of_the_unit_publishes_all_of_its_writes"],
    ),
    "a_shared_commit_publishes_one_table_at_a_time": (
        """
class {name}(InMemoryRepository):
    def commit(self):  # a conflict in a later table leaves the earlier ones written
        if self._unit is None:
            return super().commit()
        members = list(self._unit._members.values())
        for member in members:
            member._flush()
        for member in members:
            member._rows.publish()
""",
        ["test_of_shared_units_racing_for_one_unique_value_the_winner_commits_whole"],
    ),
    "a_failed_flush_leaves_the_unit_usable": (
        """
class {name}(InMemoryRepository):
    def flush(self):  # what the fake did: a failed flush went on as if nothing failed
        self._flush()
""",
        ["test_a_failed_flush_must_be_rolled_back_before_anything_else"],
    ),
    "an_upsert_leaves_what_is_pending": (
        """
class {name}(InMemoryRepository):
    def upsert(self, values, *, conflict_on, update_fields=None):
        pending = dict(self._pending)
        self._pending.clear()
        try:
            return super().upsert(values, conflict_on=conflict_on, update_fields=update_fields)
        finally:
            self._pending.update(pending)
""",
        ["test_a_write_flushes_what_is_pending_first"],
    ),
    "a_rollback_expires_nothing": (
        """
class {name}(InMemoryRepository):
    def _discard(self, *, forget):  # refreshed at the rollback, then never loaded again
        super()._discard(forget=forget)
        from sqlalchemy import inspect
        from serpens.fakes._repository_unloaded import fill_in
        for ident in self._expired:
            obj = self._identity[ident]
            fill_in(obj, self._snapshot[ident], list(inspect(obj).callables))
        self._expired.clear()
""",
        [
            "test_a_rollback_expires_the_loaded_objects_so_later_writes_show",
            "test_a_flush_after_a_rollback_writes_against_the_current_row",
        ],
    ),
    "a_shared_rollback_discards_only_its_own_model": (
        """
class {name}(InMemoryRepository):
    def rollback(self):
        self._discard(forget=False)
""",
        ["test_a_rollback_from_any_repository_of_the_unit_discards_all_of_its_writes"],
    ),
    "a_shared_close_ends_only_its_own_model": (
        """
class {name}(InMemoryRepository):
    def close(self):
        self._forget_all()
""",
        ["test_closing_from_any_repository_of_the_unit_ends_all_of_it"],
    ),
    "rollback_keeps_the_writes": (
        """
class {name}(InMemoryRepository):
    def _discard(self, *, forget):  # what rollback() and close() both run
        self._flush()
        self._rows.publish()
""",
        [
            "test_rollback_discards_uncommitted_writes",
            "test_closing_without_commit_discards_uncommitted_writes",
        ],
    ),
    "bulk_add_keeps_the_rows_before_a_failure": (
        """
class {name}(InMemoryRepository):
    def bulk_add(self, objs):
        done = []
        for obj in objs:
            done.append(self.add(obj))
        return done
""",
        ["test_bulk_add_is_all_or_nothing_and_keeps_input_order"],
    ),
    "numbers_stored_as_given": (  # what the fake did before it read NUMERIC as PostgreSQL
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules._decimals = ()
""",
        # and the exact_decimal case, which these default-capability cells skip
        ["test_a_number_past_a_numeric_columns_precision_is_a_validation_error"],
    ),
    "numeric_precision_unchecked": (  # SQLite's behaviour: any number fits any NUMERIC
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        info = type(self._info)(self.model)
        numbers = frozenset((int, float, __import__("decimal").Decimal))
        info._written = tuple(
            (c, as_is | numbers if c.digits else as_is, bound) for c, as_is, bound in info._written
        )
        info.bounded = tuple(c for c in info.bounded if c.digits is None)
        self._info = self._rules.info = info
""",
        ["test_a_number_past_a_numeric_columns_precision_is_a_validation_error"],
    ),
    "floats_stored_as_given": (  # what the fake did before it read FLOAT as PostgreSQL
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules._floats = ()
""",
        ["test_a_float_column_reads_numbers_back_as_floats_and_refuses_what_no_double_holds"],
    ),
    "json_stored_as_given": (  # what the fake did before it stored JSON as its text
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules._json = ()
        self._rules._json_keys = frozenset()
""",
        ["test_a_json_column_reads_back_its_json_text_and_refuses_what_has_none"],
    ),
    "binary_stored_as_given": (  # a bytearray read back as a bytearray, a memoryview failed
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules._binaries = ()
""",
        ["test_zone_less_times_and_binary_values_read_back_as_postgresql_returns_them"],
    ),
    "time_keeps_its_zone": (  # every driver drops a time's tzinfo in a TIME column
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules._naive_times = ()
""",
        ["test_zone_less_times_and_binary_values_read_back_as_postgresql_returns_them"],
    ),
    "float_range_unchecked": (  # a dictionary's behaviour: any number fits a FLOAT
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        info = type(self._info)(self.model)
        numbers = frozenset((int, __import__("decimal").Decimal))
        floating = {k for k, c in info.columns.items() if c.floating}
        info._written = tuple(
            (c, as_is | numbers if c.key in floating else as_is, bound)
            for c, as_is, bound in info._written
        )
        info.bounded = tuple(c for c in info.bounded if c.key not in floating)
        info._plain = {k: p | numbers if k in floating else p for k, p in info._plain.items()}
        self._info = self._rules.info = info
""",
        ["test_a_float_column_reads_numbers_back_as_floats_and_refuses_what_no_double_holds"],
    ),
    "enums_ordered_as_members_compare": (  # a StrEnum by value, a plain Enum not at all
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        self._rules.ranks = {}
""",
        ["test_an_enum_column_orders_by_what_it_stores_not_as_members_compare"],
    ),
    "number_filters_compared_as_given": (  # a float against a stored Decimal: never equal
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        info = type(self._info)(self.model)
        info._plain_filters = info._plain
        self._info = self._rules.info = info
""",
        ["test_a_numeric_filter_compares_exactly_not_at_the_columns_scale"],
    ),
    "integer_range_unchecked": (  # a dictionary's behaviour: any int fits any INTEGER
        """
class {name}(InMemoryRepository):
    def __init__(self, model=None, *, database=None, session=None):
        super().__init__(model, database=database, session=session)
        info = type(self._info)(self.model)
        info._ranged = ()
        info.bounded = tuple(c for c in info.bounded if c.int_range is None)
        self._info = self._rules.info = info
""",
        ["test_an_integer_past_its_columns_range_is_a_validation_error"],
    ),
}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_mutant(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sandbox run for all mutants (pytester start-up dominates the cost).

    Each mutant runs the cases that must catch it; the genuine fake runs all of them.

    A mutant that fails one racer of a threads case leaves the others at the starting
    line until it breaks: a shorter wait than a real run's keeps the sandbox quick.
    """
    monkeypatch.setattr(serpens_contract._threads, "BARRIER_TIMEOUT_S", 5.0)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    control = "\nclass genuine(InMemoryRepository):\n    pass\n" + FOOTER
    source = (
        HEADER
        + control.replace("{name}", "genuine")
        + "".join(
            (code + FOOTER).replace("{name}", name) for name, (code, _) in sorted(MUTANTS.items())
        )
    )
    pytester.makepyfile(test_mutants=source)
    # the control runs every case a mutant must fail; each mutant only its own cases
    control_tests = sorted({test for _, tests in MUTANTS.values() for test in tests})
    wanted = [f"test_mutants.py::Test_genuine::{test}" for test in control_tests] + [
        f"test_mutants.py::Test_{name}::{test}"
        for name, (_, tests) in sorted(MUTANTS.items())
        for test in tests
    ]
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", *wanted)
    failed: set[tuple[str, str]] = set()
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        if report.failed:
            _, klass, test = report.nodeid.split("::")
            failed.add((klass.removeprefix("Test_"), test.split("[")[0]))
    passed = [r for r in result.reprec.getreports("pytest_runtest_logreport") if r.passed]  # type: ignore[attr-defined]
    assert passed, "the control run passed nothing: the sandbox is broken"
    assert not {test for name, test in failed if name == "genuine"}, "the genuine fake failed"
    for name, (_, must_fail) in MUTANTS.items():
        missed = [test for test in must_fail if (name, test) not in failed]
        assert not missed, f"mutant {name} slipped through {missed}"
