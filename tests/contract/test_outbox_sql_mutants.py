"""Mutant PostgreSQL outbox stores: the outbox suite must fail when a statement drifts.

Each mutant is the PostgreSQL store with one statement changed: a lease unchecked by a
settlement, a retry keeping the old token, a claim taking held messages, a claim letting
a key have two messages in flight. The suite runs against each in a pytester sandbox
(a process of its own), and the tests pinning the broken behaviour must fail while the
genuine store passes. The in-memory store's mutants are in ``test_outbox_mutants.py``.
"""

from __future__ import annotations

import pytest
import sqlalchemy.dialects.postgresql.asyncpg  # noqa: F401

# Imported here, before the sandbox runs: pytester drops the modules a run imported, and
# SQLAlchemy's PostgreSQL dialect imported twice registers its functions twice (a warning).
import serpens_sqlalchemy._outbox_store  # noqa: F401
from tests.contract._outbox_mutant_runs import check, failures, wanted

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


@pytest.mark.postgres
@pytest.mark.usefixtures("mutant_settings")
def test_the_suite_catches_every_postgres_mutant(
    pytester: pytest.Pytester, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUTANT_ASYNCPG_URL", "postgresql+asyncpg://" + postgres_url.split("://")[1])
    failed = failures(pytester, POSTGRES_SUITE, wanted(POSTGRES_MUST_FAIL))
    check(failed, POSTGRES_MUST_FAIL)
