"""Mutant outboxes: the outbox suite must fail when a store's behaviour drifts.

Each mutant is the in-memory store, or the PostgreSQL store with one statement changed,
with one deliberate bug of the kind outbox relays ship: ordering keys ignored, a lapsed
lease still settling, a retry that keeps the old claim alive, a delay ignored, a lease
that ends a millisecond late, attempts not counted, a claim over its limit, messages
without a key held back by each other. The suite runs against each in a pytester
sandbox, and the tests pinning the broken behaviour must fail (the differential test
against the genuine fake included, where the bug shows in its calls) while the genuine
stores pass.
"""

from __future__ import annotations

import pytest
import sqlalchemy.dialects.postgresql.asyncpg  # noqa: F401

# Imported here, before the sandbox runs: pytester drops the modules a run imported, and
# SQLAlchemy's PostgreSQL dialect imported twice registers its functions twice (a warning).
import serpens.fakes._outbox  # noqa: F401
import serpens_sqlalchemy._outbox_store  # noqa: F401

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

POSTGRES_SUITE = """
import os
import uuid
from contextlib import asynccontextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

import serpens_sqlalchemy._outbox_store as s
from serpens._rules.outbox import lease_lost
from serpens_contract.outbox import OutboxContract, OutboxUnit
from serpens_sqlalchemy import AsyncPostgresOutboxStore, SQLAlchemyOutbox

URL = os.environ["MUTANT_ASYNCPG_URL"]


class LeaseUnchecked(AsyncPostgresOutboxStore):
    # the DELETE checks the token only: a relay past its lease deletes the message
    async def delivered(self, message):
        statement = delete(s._TABLE).where(s._c.id == s._ID, s._c.token == s._TOKEN)
        if not await self._settle(statement.returning(s._c.id), message, {}):
            raise lease_lost(message)


class RetryKeepsTheToken(AsyncPostgresOutboxStore):
    # the retry's UPDATE forgets token + 1: the old claim still settles
    async def retry(self, message, *, after=0.0):
        statement = (
            update(s._TABLE)
            .where(*s._HOLDS)
            .values(hidden_until=s._clock.c.now + sa.bindparam("after", type_=sa.BigInteger))
            .returning(s._c.id)
        )
        if not await self._settle(statement, message, {"after": s.check_after(after)}):
            raise lease_lost(message)


class ManyLeaseUnchecked(AsyncPostgresOutboxStore):
    # delivered_many's DELETE checks id and token only: a lapsed claim deletes its message
    async def delivered_many(self, messages):
        statement = (
            delete(s._TABLE)
            .where(sa.tuple_(s._c.id, s._c.token).in_(sa.bindparam("claims", expanding=True)))
            .returning(s._c.id, s._c.token)
        )
        claims = sorted({(m.id, m.token) for m in messages})
        held = {(r.id, r.token) for r in await self._run(statement, {"claims": claims}, "x")}
        return [m for m in messages if (m.id, m.token) not in held]


class ClaimsUndue(AsyncPostgresOutboxStore):
    # the claim forgets "hidden_until <= now": a held message is claimed twice
    async def claim(self, *, limit=100, lease=30.0):
        lease_ms = s.check_lease(lease)
        t = s._TABLE
        picked = sa.select(t.c.id).order_by(t.c.id).limit(limit).cte("picked")
        statement = (
            update(t)
            .where(t.c.id == picked.c.id)
            .values(attempts=t.c.attempts + 1, token=t.c.token + 1,
                    hidden_until=sa.select(s._clock.c.now).scalar_subquery() + lease_ms)
            .returning(*t.c)
        )
        rows = await self._run(statement, {}, "claim")
        return [s.message_of(r, lease_ms) for r in sorted(rows, key=lambda r: r.id)]


class HeldKeyClaimedAgainOnPostgres(AsyncPostgresOutboxStore):
    # the claim's head test forgets the held rows of the key: two of one key in flight
    async def claim(self, *, limit=100, lease=30.0):
        lease_ms = s.check_lease(lease)
        row, earlier = s._TABLE.alias("o"), s._TABLE.alias("earlier")
        head = sa.or_(
            row.c.ordering_key == "",
            ~sa.exists().where(
                earlier.c.ordering_key == row.c.ordering_key, earlier.c.id < row.c.id
            ),
        )
        picked = (
            sa.select(row.c.id, s._clock.c.now)
            .where(row.c.hidden_until <= s._clock.c.now, head)
            .order_by(row.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=row)
            .cte("picked")
        )
        t = s._TABLE
        statement = (
            update(t)
            .where(t.c.id == picked.c.id)
            .values(attempts=t.c.attempts + 1, token=t.c.token + 1,
                    hidden_until=picked.c.now + lease_ms)
            .returning(*t.c)
        )
        rows = await self._run(statement, {}, "claim")
        return [s.message_of(r, lease_ms) for r in sorted(rows, key=lambda r: r.id)]


def _cell(store_class):
    class Cell(OutboxContract):
        @pytest.fixture
        async def schema(self):
            name = f"mutant_{uuid.uuid4().hex[:12]}"
            admin = create_async_engine(URL, poolclass=NullPool)
            async with admin.begin() as conn:
                await conn.execute(sa.text(f"CREATE SCHEMA {name}"))
            yield name
            async with admin.begin() as conn:
                await conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
            await admin.dispose()

        @pytest.fixture
        async def open_outbox_store(self, schema):
            engines = []

            def open_store():
                engines.append(create_async_engine(URL, poolclass=NullPool))
                placed = engines[-1].execution_options(schema_translate_map={None: schema})
                return store_class(placed, deadline=5.0)

            yield open_store
            for engine in engines:
                await engine.dispose()

        @pytest.fixture
        async def open_outbox_unit(self, schema, store):
            await store.create_table()
            engine = create_async_engine(URL, poolclass=NullPool)
            placed = engine.execution_options(schema_translate_map={None: schema})

            @asynccontextmanager
            async def open_unit():
                async with AsyncSession(placed) as session:
                    yield OutboxUnit(
                        SQLAlchemyOutbox(session), session.commit, session.rollback, session.flush
                    )

            yield open_unit
            await engine.dispose()

    return Cell


TestGenuine = _cell(AsyncPostgresOutboxStore)
TestLeaseUnchecked = _cell(LeaseUnchecked)
TestRetryKeepsTheToken = _cell(RetryKeepsTheToken)
TestManyLeaseUnchecked = _cell(ManyLeaseUnchecked)
TestClaimsUndue = _cell(ClaimsUndue)
TestHeldKeyClaimedAgainOnPostgres = _cell(HeldKeyClaimedAgainOnPostgres)
"""
POSTGRES_MUST_FAIL = {
    "TestLeaseUnchecked": {"test_a_lapsed_lease_is_claimed_again_and_its_claim_is_lost"},
    "TestRetryKeepsTheToken": {"test_a_settled_claim_cannot_be_settled_again"},
    "TestManyLeaseUnchecked": {"test_delivered_many_deletes_every_message_whose_claim_holds"},
    "TestClaimsUndue": {
        "test_claims_take_the_lowest_ids_first_up_to_the_limit",
        "test_a_retry_waits_its_delay",
    },
    "TestHeldKeyClaimedAgainOnPostgres": {
        "test_a_key_never_has_two_messages_in_flight_when_units_commit_out_of_order",
    },
}


def _failures(pytester: pytest.Pytester, suite: str, wanted: set[str]) -> dict[str, set[str]]:
    """Run *suite* in a sandbox process, only the *wanted* tests; each class's failed tests.

    A process of its own: an in-process run drops the modules it imported when it ends,
    and asyncpg or SQLAlchemy's compiled parts imported again in one process can crash it.
    """
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_mutants=suite)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-rA", "-k", " or ".join(sorted(wanted))
    )
    failed: dict[str, set[str]] = {}
    ran: set[str] = set()
    for line in result.outlines:
        outcome, _, rest = line.partition(" test_mutants.py::")
        if outcome not in {"PASSED", "FAILED"} or not rest:
            continue
        cls, _, test = rest.split(" ")[0].partition("::")
        if outcome == "FAILED":
            failed.setdefault(cls, set()).add(test.split("[")[0])
        else:
            ran.add(cls)
    assert "TestGenuine" in ran, "the genuine store ran nothing:\n" + result.stdout.str()[-3000:]
    assert "TestGenuine" not in failed, failed.get("TestGenuine")  # the suite is sound
    return failed


def _check(failed: dict[str, set[str]], must_fail: dict[str, set[str]]) -> None:
    for mutant, tests in must_fail.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"


def _wanted(must_fail: dict[str, set[str]]) -> set[str]:
    return {test for tests in must_fail.values() for test in tests}


@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_fake_mutant(pytester: pytest.Pytester) -> None:
    _check(_failures(pytester, FAKE_SUITE, _wanted(FAKE_MUST_FAIL)), FAKE_MUST_FAIL)


@pytest.mark.postgres
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_postgres_mutant(
    pytester: pytest.Pytester, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUTANT_ASYNCPG_URL", "postgresql+asyncpg://" + postgres_url.split("://")[1])
    failed = _failures(pytester, POSTGRES_SUITE, _wanted(POSTGRES_MUST_FAIL))
    _check(failed, POSTGRES_MUST_FAIL)
