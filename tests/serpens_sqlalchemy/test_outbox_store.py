"""``AsyncPostgresOutboxStore`` on a real PostgreSQL (asyncpg), no mocks.

Each test has a schema of its own and an engine whose ``schema_translate_map`` puts the
outbox there, as a user's may: every statement must honour it. Messages are staged as a
service does, by an ORM ``AsyncSession`` that adds :func:`serpens._rules.outbox.stage`'s
records and commits; the store is the relay's side.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from serpens._rules.outbox import MAX_SECONDS, stage
from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    LeaseLostError,
    ValidationError,
)
from serpens.ports import OutboxMessage
from serpens_sqlalchemy._outbox_store import AsyncPostgresOutboxStore
from tests.serpens_sqlalchemy._idempotency_support import _CLOSED
from tests.serpens_sqlalchemy._lock_support import advisory_lock_held, gives_up_in_time
from tests.serpens_sqlalchemy._outbox_support import _engine, _in, _schema  # noqa: F401 - fixtures

Staged = tuple[str, str | None]  # a topic's short name and an ordering key


def _topic(name: str) -> str:
    return f"projects/demo/topics/{name}"


@pytest.fixture(name="store")
async def _store(engine: AsyncEngine) -> AsyncPostgresOutboxStore:
    store = AsyncPostgresOutboxStore(engine)
    await store.create_table()
    return store


async def _stage(engine: AsyncEngine, *messages: Staged, commit: bool = True) -> list[str]:
    """Stage *messages* in one unit of work, as a service's outbox does; their keys."""
    async with AsyncSession(engine) as session:
        records = [stage(_topic(name), {"n": name}, {"a": "1"}, key) for name, key in messages]
        session.add_all(records)
        await session.flush()
        keys = [record.key for record in records]
        if commit:
            await session.commit()
        return keys


async def _exists(engine: AsyncEngine, schema: str) -> tuple[bool, bool]:
    """Whether *schema* has the outbox table, and its ordering index."""
    async with engine.connect() as conn:
        query = sa.text("SELECT to_regclass(:t) IS NOT NULL, to_regclass(:i) IS NOT NULL")
        params = {"t": f"{schema}.serpens_outbox", "i": f"{schema}.serpens_outbox_ordering"}
        found = (await conn.execute(query, params)).one()
        return bool(found[0]), bool(found[1])


async def test_committed_messages_are_claimed_lowest_id_first(
    engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    first = await _stage(engine, ("orders", None), ("orders", None), ("stock", None))
    await _stage(engine, ("lost", None), commit=False)  # rolled back: never published
    second = await _stage(engine, ("orders", None), ("stock", None))
    assert await store.pending() == 5
    claimed = await store.claim(limit=3, lease=10)
    assert [m.key for m in claimed] == first
    assert [m.id for m in claimed] == sorted(m.id for m in claimed)
    assert claimed[0] == OutboxMessage(
        id=claimed[0].id,
        key=first[0],
        topic=_topic("orders"),
        payload=b'{"n":"orders"}',
        attributes={"a": "1"},
        ordering_key=None,
        attempts=1,
        token=1,
        lease=10.0,
    )
    rest = await store.claim()
    assert [m.key for m in rest] == second
    assert {m.lease for m in rest} == {30.0}
    assert await store.claim() == []  # all held
    for message in [*claimed, *rest]:
        await store.delivered(message)
    assert await store.pending() == 0


async def test_only_the_head_of_an_ordering_key_is_claimed(
    engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    a1, b1, a2, free = await _stage(
        engine, ("events", "a"), ("events", "b"), ("events", "a"), ("events", None)
    )
    head = {m.key: m for m in await store.claim()}
    assert list(head) == [a1, b1, free]
    assert head[a1].ordering_key == "a"
    assert await store.claim() == []  # a2 waits behind a1, held
    await store.retry(head[a1])
    again = await store.claim()
    assert [(m.key, m.attempts) for m in again] == [(a1, 2)]  # a failed head holds back a2
    await store.delivered(again[0])
    assert [m.key for m in await store.claim()] == [a2]
    await store.delivered(head[b1])
    assert await store.pending() == 2  # a2 and free: claimed, not delivered


async def test_concurrent_claims_never_share_a_message(
    postgres_url: str, schema: str, engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    """Two stores on two pools race: ``FOR UPDATE SKIP LOCKED`` gives each row to one."""
    keys: list[str | None] = [None, "k0", "k1", "k2", "k3"]
    staged = await _stage(engine, *(("events", keys[n % 5]) for n in range(300)))
    base, other_engine = _in(schema, postgres_url)
    try:
        stores = [store, AsyncPostgresOutboxStore(other_engine)]
        seen: list[str] = []
        for _ in range(100):
            rounds = await asyncio.gather(*(stores[n % 2].claim(limit=20) for n in range(6)))
            claimed = [m for batch in rounds for m in batch]
            if not claimed:
                break
            ordered = [m.ordering_key for m in claimed if m.ordering_key]
            assert len(ordered) == len(set(ordered))  # one head per key at a time
            seen += [m.key for m in claimed]
            await asyncio.gather(*(store.delivered(m) for m in claimed))
        assert len(seen) == len(set(seen))
        assert sorted(seen) == sorted(staged)
        assert await store.pending() == 0
    finally:
        await base.dispose()


async def test_a_claim_skips_rows_another_transaction_holds_locked(
    schema: str, engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    """``SKIP LOCKED``: a claim under way elsewhere delays no other; its rows wait."""
    first, *rest = await _stage(engine, ("events", None), ("events", None), ("events", None))
    async with engine.connect() as conn, conn.begin():
        lock = f"SELECT id FROM {schema}.serpens_outbox WHERE key = :k FOR UPDATE"
        await conn.execute(sa.text(lock), {"k": first})
        started = time.monotonic()
        assert [m.key for m in await store.claim()] == rest
        assert time.monotonic() - started < 1.0
    assert [m.key for m in await store.claim()] == [first]


async def test_a_lapsed_claim_is_claimed_again_and_the_old_one_lost(
    engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    (key,) = await _stage(engine, ("events", None))
    (old,) = await store.claim(lease=0.05)
    assert (old.attempts, old.lease) == (1, 0.05)
    await asyncio.sleep(0.1)
    (new,) = await store.claim(lease=60)
    assert (new.key, new.attempts) == (key, 2)
    assert new.token > old.token
    with pytest.raises(LeaseLostError, match=key):
        await store.delivered(old)
    with pytest.raises(LeaseLostError):
        await store.retry(old)
    for token in (2**63, -(2**63) - 1):  # no bigint holds it: never issued, holds nothing
        forged = OutboxMessage(new.id, key, "t", b"", token=token)
        with pytest.raises(LeaseLostError):
            await store.delivered(forged)
    await store.delivered(new)
    assert await store.pending() == 0
    with pytest.raises(LeaseLostError):
        await store.delivered(new)  # settled: holds no more


async def test_a_retry_hides_the_message_for_after_seconds(
    engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    await _stage(engine, ("events", None))
    (first,) = await store.claim()
    await store.retry(first, after=1.0)
    with pytest.raises(LeaseLostError):
        await store.retry(first)  # the retry ended the claim
    assert await store.claim() == []
    await asyncio.sleep(0.5)
    assert await store.claim() == []  # still hidden halfway through
    await asyncio.sleep(0.6)
    (again,) = await store.claim()
    assert again.attempts == 2
    assert again.token > first.token + 1  # the retry's token, then the claim's
    await store.retry(again)  # after=0: due at once
    (third,) = await store.claim()
    assert third.attempts == 3
    assert await store.pending() == 1


async def test_the_first_call_creates_a_missing_table(
    postgres_url: str, schema: str, engine: AsyncEngine
) -> None:
    store = AsyncPostgresOutboxStore(engine)
    assert await _exists(engine, schema) == (False, False)  # construction does no I/O
    forged = OutboxMessage(1, "k", "t", b"x")
    with pytest.raises(LeaseLostError):
        await store.delivered(forged)
    assert await _exists(engine, schema) == (True, True)
    await store.create_table()  # idempotent
    assert await store.claim() == []
    assert await store.pending() == 0
    other = f"{schema}_b"
    base, engine_b = _in(other, postgres_url)
    try:
        async with engine_b.begin() as conn:
            await conn.execute(sa.text(f"CREATE SCHEMA {other}"))
        stores = [AsyncPostgresOutboxStore(engine_b) for _ in range(4)]
        assert await asyncio.gather(*(s.pending() for s in stores)) == [0] * 4  # made once
        assert await _exists(engine_b, other) == (True, True)
        await _stage(engine_b, ("events", None))
        assert [m.topic for m in await stores[0].claim()] == [_topic("events")]
        assert await store.pending() == 0  # the other schema's outbox is another
    finally:
        async with engine_b.begin() as conn:
            await conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {other} CASCADE"))
        await base.dispose()


_BAD_CALLS: list[tuple[str, dict[str, Any]]] = [
    *(("claim", {"limit": bad}) for bad in (0, 1001, -1, True, 1.5, "10", None)),
    *(("claim", {"lease": bad}) for bad in (0, -1, math.nan, math.inf, MAX_SECONDS + 1, True)),
    *(("retry", {"after": bad}) for bad in (-0.001, math.nan, math.inf, MAX_SECONDS + 1, "1")),
]


async def test_arguments_are_checked_before_any_io_and_no_password_shows() -> None:
    engine = create_async_engine(_CLOSED, connect_args={"timeout": 2})
    store = AsyncPostgresOutboxStore(engine, deadline=2.0)
    assert repr(store) == "AsyncPostgresOutboxStore(table='serpens_outbox')"
    held = OutboxMessage(1, "k", "t", b"x")
    try:
        for name, arguments in _BAD_CALLS:
            call = store.claim(**arguments) if name == "claim" else store.retry(held, **arguments)
            with pytest.raises(ValidationError) as raised:
                await call
            assert "s3cret" not in str(raised.value)
        for bad in (None, "k", OutboxMessage("1", "k", "t", b"x")):  # type: ignore[arg-type]
            with pytest.raises(ValidationError, match="message"):
                await store.delivered(bad)  # type: ignore[arg-type]
            with pytest.raises(ValidationError, match="message"):
                await store.retry(bad)  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError) as unreachable:
            await store.claim()
        assert time.monotonic() - started < 2.5
        with pytest.raises(BackendUnavailableError):
            await store.pending()
        assert "s3cret" not in repr(store)
        assert "s3cret" not in str(unreachable.value)
    finally:
        await engine.dispose()


async def test_a_call_past_its_deadline_raises_in_time(
    postgres_url: str, schema: str, engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    """A table another transaction holds locked: the call gives up at its deadline."""
    await _stage(engine, ("events", None))
    base, bounded = _in(schema, postgres_url)
    try:
        slow = AsyncPostgresOutboxStore(bounded, deadline=0.5)
        async with engine.connect() as conn, conn.begin():
            await conn.execute(sa.text(f"LOCK TABLE {schema}.serpens_outbox"))
            await gives_up_in_time(slow.pending(), r"did not answer within 0\.5 s", most=2.0)
        assert await slow.pending() == 1  # a new connection, once the lock is gone
    finally:
        await base.dispose()


async def test_create_table_waits_for_another_creator_at_most_its_deadline(
    schema: str, engine: AsyncEngine
) -> None:
    """The store's own deadline bounds ``create_table`` too, on an engine that has a
    longer one (7 s, installed by the first store on it)."""
    AsyncPostgresOutboxStore(engine)  # gives the engine its deadlines: 7 s
    quick = AsyncPostgresOutboxStore(engine, deadline=0.5)
    async with advisory_lock_held(engine, f"{schema}.serpens_outbox"):  # another creator's turn
        await gives_up_in_time(quick.create_table(), r"did not answer within 0\.5 s", most=3.0)
    await quick.create_table()  # its turn now
    assert await _exists(engine, schema) == (True, True)


def test_only_an_async_postgres_engine_is_taken(tmp_path: Any) -> None:
    sqlite = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigurationError, match="this engine is 'sqlite'"):
        AsyncPostgresOutboxStore(sqlite)
    with pytest.raises(ConfigurationError, match="InMemoryOutboxStore"):
        AsyncPostgresOutboxStore(sqlite)
    for engine in (sa.create_engine("postgresql+psycopg2://u@127.0.0.1:1/db"), _CLOSED):
        with pytest.raises(ConfigurationError, match="needs a sqlalchemy AsyncEngine"):
            AsyncPostgresOutboxStore(engine)  # type: ignore[arg-type]
    for deadline in (0, -1.0):
        with pytest.raises(ValidationError):
            AsyncPostgresOutboxStore(create_async_engine(_CLOSED), deadline=deadline)


async def test_delivered_many_settles_a_round_in_one_statement(
    engine: AsyncEngine, store: AsyncPostgresOutboxStore
) -> None:
    """One ``DELETE`` whatever the number of claims; claims no bigint holds cost no I/O."""
    await _stage(engine, *(("events", None) for _ in range(250)))
    claimed = list(await store.claim(limit=250))
    forged = OutboxMessage(claimed[0].id, claimed[0].key, "t", b"", token=2**63)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert list(await store.delivered_many([forged])) == [forged]  # no I/O
        assert statements == []
        assert list(await store.delivered_many([*claimed, forged, claimed[0]])) == [forged]
        assert len(statements) == 1
        assert statements[0].lstrip().startswith(("WITH", "DELETE"))
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert await store.pending() == 0
