"""Mutant in-memory outboxes: the outbox suite must fail when a store's behaviour drifts.

Each mutant is the in-memory store with one deliberate bug of the kind outbox relays
ship: ordering keys ignored, a key with two messages in flight, a lapsed lease still
settling, a retry that keeps the old claim alive, a delay ignored, a lease that ends a
millisecond late, attempts not counted, a claim over its limit, messages without a key
held back by each other. The suite runs against each in a pytester sandbox, and the
tests pinning the broken behaviour must fail (the differential test against the genuine
fake included, where the bug shows in its calls) while the genuine store passes. The
PostgreSQL store's mutants are in ``test_outbox_sql_mutants.py``.
"""

from __future__ import annotations

import pytest
import sqlalchemy.dialects.postgresql.asyncpg  # noqa: F401

# Imported here, before the sandbox runs: pytester drops the modules a run imported, and
# SQLAlchemy's PostgreSQL dialect imported twice registers its functions twice (a warning).
import serpens.fakes._outbox  # noqa: F401
import serpens_sqlalchemy._outbox_store  # noqa: F401
from tests.contract._outbox_mutant_runs import check, failures, wanted

FAKE_SUITE = """
from contextlib import asynccontextmanager

import pytest
import serpens._rules.outbox as rules
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryRepository,
    InMemorySession,
)
from serpens_contract.outbox import OutboxCapabilities, OutboxContract, OutboxUnit


class Genuine(InMemoryOutboxStore):
    pass


class _Chooser(InMemoryOutboxStore):
    # claims the records choose() picks of the committed ones in id order
    def choose(self, records, now, limit):
        raise NotImplementedError

    async def claim(self, *, limit=100, lease=30.0):
        limit = rules.check_limit(limit)
        lease_ms = rules.check_lease(lease)
        with self._lock:
            rows = self._rows()
            now = self._now()
            picked = self.choose(rows.list(order_by="id"), now, limit)
            claimed = [rules.take(record, now, lease_ms) for record in picked]
            rows.commit()
        return claimed


class OrderingKeysIgnored(_Chooser):
    # every due message is claimable: the second of a key overtakes the first
    def choose(self, records, now, limit):
        return [r for r in records if r.hidden_until <= now][:limit]


class KeylessHeldBack(_Chooser):
    # messages without a key are treated as one key "": each waits for the one before
    def choose(self, records, now, limit):
        seen, picked = set(), []
        for r in records:
            if r.ordering_key in seen:
                continue
            seen.add(r.ordering_key)
            if r.hidden_until <= now:
                picked.append(r)
        return picked[:limit]


class HeldKeyClaimedAgain(_Chooser):
    # only each key's lowest id counts: a lower id committed after a higher one of its
    # key was claimed is claimed too, two messages of one key in flight
    def choose(self, records, now, limit):
        seen, picked = set(), []
        for r in records:
            if r.ordering_key:
                if r.ordering_key in seen:
                    continue
                seen.add(r.ordering_key)
            if r.hidden_until <= now:
                picked.append(r)
        return picked[:limit]


class OneOverTheLimit(_Chooser):
    def choose(self, records, now, limit):
        return rules.due(records, now, limit + 1)


class LapsedLeaseSettles(InMemoryOutboxStore):
    # delivered checks the token only: a relay past its lease deletes a message
    # another relay now holds
    async def delivered(self, message):
        with self._lock:
            record = self._rows().get(message.id)
            if record is None or record.token != message.token:
                raise rules.lease_lost(message)
            self.database.table(rules.OutboxRecord.__table__).remove((message.id,))


class ManyDeletesEveryOne(InMemoryOutboxStore):
    # delivered_many deletes whatever it is given, held or not
    async def delivered_many(self, messages):
        with self._lock:
            for message in rules.check_messages(messages):
                self.database.table(rules.OutboxRecord.__table__).remove((message.id,))
        return []


class RetryKeepsTheClaim(InMemoryOutboxStore):
    # retry moves the message's time but keeps its token: the old claim still settles
    async def retry(self, message, *, after=0.0):
        after_ms = rules.check_after(after)
        with self._lock:
            rows = self._rows()
            record = rows.get(message.id)
            now = self._now()
            if not rules.holds(record, message, now):
                raise rules.lease_lost(message)
            record.hidden_until = now + after_ms
            rows.commit()


class DelayIgnored(InMemoryOutboxStore):
    # a retried message is due again at once, whatever its delay
    async def retry(self, message, *, after=0.0):
        rules.check_after(after)
        await super().retry(message, after=0)


class LeaseEndsLate(InMemoryOutboxStore):
    # a claim still holds on the millisecond its lease ends ("<=" for "<")
    async def delivered(self, message):
        with self._lock:
            record = self._rows().get(message.id)
            if record is None or not (
                record.token == message.token and self._now() <= record.hidden_until
            ):
                raise rules.lease_lost(message)
            self.database.table(rules.OutboxRecord.__table__).remove((message.id,))


class AttemptsNotCounted(InMemoryOutboxStore):
    async def claim(self, *, limit=100, lease=30.0):
        return [
            type(m)(**{**{f: getattr(m, f) for f in m.__slots__}, "attempts": 1})
            for m in await super().claim(limit=limit, lease=lease)
        ]


def _cell(store_class):
    class Cell(OutboxContract):
        capabilities = OutboxCapabilities(clock="injected")

        @pytest.fixture
        def database(self):
            return InMemoryDatabase()

        @pytest.fixture
        def open_outbox_unit(self, database):
            @asynccontextmanager
            async def open_unit():
                with InMemorySession(database) as session:
                    rows = InMemoryRepository(rules.OutboxRecord, session=session)
                    yield OutboxUnit(
                        InMemoryOutbox(session), session.commit, session.rollback, rows.flush
                    )

            return open_unit

        @pytest.fixture
        def open_outbox_store(self, database, clock):
            return lambda: store_class(database, clock=clock)

    return Cell


for _store in [
    Genuine,
    OrderingKeysIgnored,
    KeylessHeldBack,
    HeldKeyClaimedAgain,
    OneOverTheLimit,
    LapsedLeaseSettles,
    ManyDeletesEveryOne,
    RetryKeepsTheClaim,
    DelayIgnored,
    LeaseEndsLate,
    AttemptsNotCounted,
]:
    globals()[f"Test{_store.__name__}"] = _cell(_store)
"""
FAKE_MUST_FAIL = {
    "TestOrderingKeysIgnored": {
        "test_an_ordering_key_holds_back_the_rest_until_its_first_is_delivered",
        "test_units_committed_one_after_another_keep_their_order",
        "test_differential_against_fake",
    },
    "TestKeylessHeldBack": {
        "test_claims_take_the_lowest_ids_first_up_to_the_limit",
        "test_an_ordering_key_holds_back_the_rest_until_its_first_is_delivered",
        "test_differential_against_fake",
    },
    "TestHeldKeyClaimedAgain": {
        "test_a_key_never_has_two_messages_in_flight_when_units_commit_out_of_order",
    },
    "TestOneOverTheLimit": {
        "test_claims_take_the_lowest_ids_first_up_to_the_limit",
        "test_differential_against_fake",
    },
    "TestLapsedLeaseSettles": {"test_a_lapsed_lease_is_claimed_again_and_its_claim_is_lost"},
    "TestManyDeletesEveryOne": {
        "test_delivered_many_deletes_every_message_whose_claim_holds",
        "test_differential_against_fake",
    },
    "TestRetryKeepsTheClaim": {
        "test_a_settled_claim_cannot_be_settled_again",
        "test_differential_against_fake",
    },
    "TestDelayIgnored": {
        "test_a_retry_waits_its_delay",
        "test_an_ordering_key_is_not_held_back_by_another_key",
        "test_differential_against_fake",
    },
    "TestLeaseEndsLate": {"test_a_lease_and_a_delay_end_on_the_millisecond"},
    "TestAttemptsNotCounted": {
        "test_a_lapsed_lease_is_claimed_again_and_its_claim_is_lost",
        "test_a_retry_waits_its_delay",
        "test_differential_against_fake",
    },
}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_fake_mutant(pytester: pytest.Pytester) -> None:
    check(failures(pytester, FAKE_SUITE, wanted(FAKE_MUST_FAIL)), FAKE_MUST_FAIL)
