"""Mutant queues: the Queue suite must fail when behaviour drifts.

Each mutant is the in-memory fake, the PostgreSQL adapter (on the session's server) or
a shared rule with one deliberate bug, among them the original library's FIFO defect
(the group id reused as deduplication id). The suite runs against it in a pytester
sandbox; the tests pinning the broken behaviour must fail. A shared rule is patched
only while the mutant calls it, and restored, never to stand in for a backend.
"""

import pytest

HEADER = """
import dataclasses
import pytest
from serpens.fakes import InMemoryQueue
from serpens_contract import QueueCapabilities, QueueContract
"""

FOOTER = """
class Clock:
    now = 1_700_000_000.0
    def __call__(self):
        return self.now
    def advance(self, seconds):
        self.now += seconds

class TestMutant(QueueContract):
    capabilities = QueueCapabilities(injectable_clock=True, content_based_dedup=True)

    @pytest.fixture
    def clock(self):
        return Clock()

    @pytest.fixture
    def open_queue(self, clock):
        return lambda namespace, fifo: Mutant(fifo=fifo, clock=clock)

    @pytest.fixture
    def open_content_based_fifo(self, clock):
        return lambda namespace: Mutant(fifo=True, content_based_dedup=True, clock=clock)

    @pytest.fixture
    def advance_clock(self, clock):
        return clock.advance
"""

MUTANTS = {
    "ack_keeps_the_message": (
        """
class Mutant(InMemoryQueue):
    def ack(self, message):
        pass
""",
        ["test_ack_removes_the_message_and_a_second_ack_is_harmless"],
    ),
    "fifo_ignores_groups_in_flight": (
        """
class Mutant(InMemoryQueue):
    def receive(self, **kwargs):
        fifo, self._core.fifo = self._core.fifo, False
        try:
            return super().receive(**kwargs)
        finally:
            self._core.fifo = fifo
""",
        [
            "test_fifo_holds_back_a_group_while_one_of_its_messages_is_in_flight",
            "test_differential_against_fake",
        ],
    ),
    "receive_count_stuck_at_one": (
        """
class Mutant(InMemoryQueue):
    def receive(self, **kwargs):
        return [dataclasses.replace(m, receive_count=1) for m in super().receive(**kwargs)]
""",
        [
            "test_an_unacknowledged_message_is_redelivered_after_its_visibility_timeout",
            "test_change_visibility_zero_redelivers_at_once",
            "test_differential_against_fake",
        ],
    ),
    "group_id_reused_as_dedup_id": (
        """
class Mutant(InMemoryQueue):
    def send(self, body, *, attributes=None, delay_seconds=0, group_id=None, dedup_id=None):
        return super().send(
            body, attributes=attributes, delay_seconds=delay_seconds, group_id=group_id,
            dedup_id=dedup_id or group_id,
        )
""",
        [
            "test_fifo_dedup_id_enqueues_once_and_sends_without_one_are_never_dropped",
            "test_fifo_delivers_each_group_in_send_order",
            "test_differential_against_fake",
        ],
    ),
    "attributes_dropped": (
        """
class Mutant(InMemoryQueue):
    def send(self, body, *, attributes=None, **kwargs):
        return super().send(body, **kwargs)
""",
        ["test_send_and_receive_round_trip_body_attributes_and_metadata"],
    ),
    "visibility_timeout_doubled": (
        """
class Mutant(InMemoryQueue):
    def receive(self, *, visibility_timeout=None, **kwargs):
        doubled = None if visibility_timeout is None else visibility_timeout * 2
        return super().receive(visibility_timeout=doubled, **kwargs)
""",
        [
            "test_an_unacknowledged_message_is_redelivered_after_its_visibility_timeout",
            "test_differential_against_fake",
        ],
    ),
    "visibility_counted_from_the_send": (
        # a message that waited longer than its timeout is delivered twice within it
        """
class Mutant(InMemoryQueue):
    def receive(self, *, visibility_timeout=None, **kwargs):
        core = self._core
        with core.lock:
            before = {m.id: m.visible_at for m in core.messages.values()}
        got = super().receive(visibility_timeout=visibility_timeout, **kwargs)
        timeout = core.visibility_timeout if visibility_timeout is None else visibility_timeout
        with core.lock:
            for message in got:
                core.messages[message.id].visible_at = before[message.id] + timeout
        return got
""",
        ["test_visibility_runs_from_the_receive_and_a_stale_receipt_is_accepted"],
    ),
    "message_size_counts_the_body_only": (
        # the shared rule (serpens._rules.queue), patched only while this mutant sends
        """
import serpens._rules.queue as rules

class Mutant(InMemoryQueue):
    def send(self, body, **kwargs):
        genuine = rules.message_size
        rules.message_size = lambda body, attributes: len(body.encode("utf-8"))
        try:
            return super().send(body, **kwargs)
        finally:
            rules.message_size = genuine
""",
        ["test_invalid_arguments_are_validation_errors"],
    ),
    "content_dedup_overrides_the_dedup_id": (
        """
class Mutant(InMemoryQueue):
    def send(self, body, *, dedup_id=None, **kwargs):
        if self._core.content_based_dedup:
            dedup_id = None  # the body decides even when the sender gave an id
        return super().send(body, dedup_id=dedup_id, **kwargs)
""",
        ["test_content_based_fifo_dedups_by_body_unless_a_dedup_id_is_given"],
    ),
    "visibility_change_without_the_12_hour_window": (
        # the shared rule, patched only while this mutant changes a visibility
        """
import serpens.fakes._queue as fake

class Mutant(InMemoryQueue):
    def change_visibility(self, message, timeout):
        genuine = fake.check_visibility_change
        fake.check_visibility_change = lambda timeout, **kwargs: None
        try:
            return super().change_visibility(message, timeout)
        finally:
            fake.check_visibility_change = genuine
""",
        ["test_a_message_stays_hidden_at_most_12_hours_from_its_receive"],
    ),
    "visibility_timeout_ignored": (
        """
class Mutant(InMemoryQueue):
    def receive(self, *, visibility_timeout=None, **kwargs):
        return super().receive(visibility_timeout=0, **kwargs)
""",
        [
            "test_an_unacknowledged_message_is_redelivered_after_its_visibility_timeout",
            "test_differential_against_fake",
        ],
    ),
}


POSTGRES_HEADER = """
import os
import uuid
import pytest
from sqlalchemy import create_engine
from serpens.errors import NotFoundError
from serpens_contract import QueueContract
from serpens_sqlalchemy import PostgresQueue
"""

POSTGRES_FOOTER = """
class TestMutant(QueueContract):
    @pytest.fixture(scope="class")
    def engine(self):
        engine = create_engine(os.environ["MUTANT_POSTGRES_URL"], pool_size=2)
        PostgresQueue(engine, "setup").create_table()
        yield engine
        engine.dispose()

    @pytest.fixture
    def open_queue(self, engine):
        return lambda namespace, fifo: Mutant(engine, f"{namespace}-{uuid.uuid4().hex}", fifo=fifo)
"""

# mutants of the PostgreSQL adapter, run on the session's PostgreSQL server
POSTGRES_MUTANTS = {
    "postgres_ack_accepts_foreign_receipts": (
        # the adapter's original defect: a well-formed receipt it never issued is acked
        """
class Mutant(PostgresQueue):
    def ack(self, message):
        try:
            super().ack(message)
        except NotFoundError:
            pass
""",
        [
            "test_a_receipt_the_queue_never_issued_is_not_found",
            "test_a_receipt_from_another_queue_is_not_found",
        ],
    ),
    "postgres_visibility_change_without_the_12_hour_window": (
        """
from sqlalchemy import text

class Mutant(PostgresQueue):
    def change_visibility(self, message, timeout):
        with self._engine.begin() as conn:
            conn.execute(
                text("UPDATE serpens_queue SET visible_at = clock_timestamp()"
                     " + make_interval(secs => :t) WHERE id = CAST(:id AS uuid)"),
                {"t": timeout, "id": message.id},
            )
""",
        ["test_a_message_stays_hidden_at_most_12_hours_from_its_receive"],
    ),
    "postgres_visibility_from_the_send": (
        """
from sqlalchemy import text

class Mutant(PostgresQueue):
    def receive(self, *, visibility_timeout=None, **kwargs):
        got = super().receive(visibility_timeout=visibility_timeout, **kwargs)
        timeout = self._visibility_timeout if visibility_timeout is None else visibility_timeout
        with self._engine.begin() as conn:
            for message in got:
                conn.execute(
                    text("UPDATE serpens_queue SET visible_at = sent_at"
                         " + make_interval(secs => :t) WHERE id = CAST(:id AS uuid)"),
                    {"t": timeout, "id": message.id},
                )
        return got
""",
        ["test_visibility_runs_from_the_receive_and_a_stale_receipt_is_accepted"],
    ),
}


@pytest.mark.parametrize("mutant", sorted(POSTGRES_MUTANTS))
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_the_postgres_mutant(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, postgres_url: str, mutant: str
) -> None:
    code, must_fail = POSTGRES_MUTANTS[mutant]
    url = postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    monkeypatch.setenv("MUTANT_POSTGRES_URL", url)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_mutant=POSTGRES_HEADER + code + POSTGRES_FOOTER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-k", " or ".join(must_fail))
    failed = {
        report.nodeid.split("::")[-1].split("[")[0]
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.failed
    }
    assert set(must_fail) <= failed, f"{mutant} slipped through; failed only {sorted(failed)}"


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
@pytest.mark.usefixtures("mutant_settings")
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
