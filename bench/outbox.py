"""Outbox relay on PostgreSQL (asyncpg): serpens' relay against a hand-written one.

Each round relays 100 committed messages (no ordering keys) to an in-memory publisher,
so the figure is the outbox's own cost: claiming, the publishes' bookkeeping, settling.
The table is filled before each block of rounds, untimed.

- **serpens**: ``relay(AsyncPostgresOutboxStore(engine), publisher)``: the checks, one
  claim statement (``FOR UPDATE SKIP LOCKED``, the server's clock), the publishes
  gathered, one ``delivered_many`` statement; a connection from the engine's pool for
  each statement.
- **the fastest raw path** a careful engineer writes: asyncpg on one connection held
  open, the same claim as one SQL string, the same publishes gathered, one
  ``DELETE ... WHERE id = ANY($1)``. It checks nothing and has no deadline.
- **the same through SQLAlchemy**: those two SQL strings run on the engine serpens'
  store uses, a pooled connection each in autocommit, their rows SQLAlchemy ``Row``s.
  That is the floor of any store built on SQLAlchemy's engine (its pool, its deadlines,
  its ``schema_translate_map``), measured apart from serpens' own work.

Target: at most 1.25x the SQLAlchemy path per message (serpens' checks, its claim's
ordering-key rule and its messages cost at most a quarter more). Informative: serpens
and the SQLAlchemy path against raw asyncpg, the same relay on the in-memory fake, the
cost of ``put`` (the publish checks, the encoding, a new record) beside adding a
prebuilt record to a session, and 100 settlements one by one (``delivered`` per message,
what ``delivered_many`` saves).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session

from bench._common import Result, best_of, block_medians_async, note_server, print_table, scaled
from serpens._rules.outbox import OutboxRecord, outbox_metadata, stage
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemorySession,
)
from serpens.outbox import relay
from serpens.testing import start_postgres
from serpens_sqlalchemy import AsyncPostgresOutboxStore, SQLAlchemyOutbox

ROUND = 100
BLOCKS = scaled(15, minimum=3)
BLOCK = 4
TOPIC = "projects/bench/topics/orders"
PAYLOAD = {"order": 123, "status": "created", "items": [1, 2, 3]}
TARGET = 1.25

_CLAIM = """
WITH clock AS (SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now),
picked AS (
    SELECT o.id FROM serpens_outbox o, clock
    WHERE o.hidden_until <= clock.now AND (o.ordering_key = '' OR NOT EXISTS (
        SELECT 1 FROM serpens_outbox e WHERE e.ordering_key = o.ordering_key AND e.id < o.id)
        AND NOT EXISTS (SELECT 1 FROM serpens_outbox h
            WHERE h.ordering_key = o.ordering_key AND h.hidden_until > clock.now))
    ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED
)
UPDATE serpens_outbox o
SET attempts = o.attempts + 1, token = o.token + 1, hidden_until = clock.now + $2
FROM picked, clock WHERE o.id = picked.id
RETURNING o.id, o.topic, o.payload, o.attributes, o.ordering_key
"""
_CLAIM_TEXT = text(_CLAIM.replace("$1", ":limit").replace("$2", ":lease"))
_DELETE_TEXT = text("DELETE FROM serpens_outbox WHERE id = ANY(:ids)")
_FILL = """
INSERT INTO serpens_outbox (key, topic, payload, attributes, ordering_key, attempts, token,
                            hidden_until)
SELECT md5(random()::text), $1, $2, '{}', '', 0, 0, 0 FROM generate_series(1, $3)
"""


async def _hand_written_round(conn: asyncpg.Connection, publisher: InMemoryPublisher) -> None:
    rows = await conn.fetch(_CLAIM, ROUND, 30_000)
    assert len(rows) == ROUND, len(rows)
    await asyncio.gather(
        *(
            publisher.publish(
                row["topic"],
                row["payload"],
                attributes=json.loads(row["attributes"]),
                ordering_key=row["ordering_key"] or None,
            )
            for row in rows
        )
    )
    await conn.execute("DELETE FROM serpens_outbox WHERE id = ANY($1)", [r["id"] for r in rows])


async def _through_sqlalchemy(engine: AsyncEngine, publisher: InMemoryPublisher) -> None:
    """The hand-written round's statements through SQLAlchemy: a connection from the pool
    for each, autocommit, rows as SQLAlchemy's ``Row``s (what serpens' store builds on)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(_CLAIM_TEXT, {"limit": ROUND, "lease": 30_000})).all()
    assert len(rows) == ROUND, len(rows)
    await asyncio.gather(
        *(
            publisher.publish(
                row.topic,
                row.payload,
                attributes=json.loads(row.attributes),
                ordering_key=row.ordering_key or None,
            )
            for row in rows
        )
    )
    async with engine.connect() as conn:
        await conn.execute(_DELETE_TEXT, {"ids": [row.id for row in rows]})


async def _one_by_one(store: AsyncPostgresOutboxStore, publisher: InMemoryPublisher) -> None:
    """A round settled with ``delivered`` per message: what ``delivered_many`` saves."""
    messages = await store.claim(limit=ROUND)
    assert len(messages) == ROUND, len(messages)
    await asyncio.gather(*(publisher.publish(m.topic, m.payload) for m in messages))
    for message in messages:
        await store.delivered(message)


async def _postgres(url: str, tier: str) -> list[Result]:
    dsn = "postgresql://" + url.split("://", 1)[1]
    engine = create_async_engine("postgresql+asyncpg://" + url.split("://", 1)[1])
    conn = await asyncpg.connect(dsn)
    try:
        note_server("PostgreSQL", f"{await conn.fetchval('SHOW server_version')} ({tier} tier)")
        await conn.execute("DROP TABLE IF EXISTS serpens_outbox")
        async with engine.begin() as setup:
            await setup.run_sync(outbox_metadata.create_all)
        store = AsyncPostgresOutboxStore(engine)
        publisher = InMemoryPublisher()
        payload = json.dumps(PAYLOAD, separators=(",", ":")).encode()

        async def fill() -> None:
            await conn.execute(_FILL, TOPIC, payload, ROUND * BLOCK * len(contenders))

        async def ours() -> None:
            report = await relay(store, publisher, limit=ROUND)
            assert report.delivered == ROUND, report

        async def theirs() -> None:
            await _hand_written_round(conn, publisher)

        async def one_by_one() -> None:
            await _one_by_one(store, publisher)

        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

        async def sqlalchemy() -> None:
            await _through_sqlalchemy(autocommit, publisher)

        contenders = (ours, theirs, one_by_one, sqlalchemy)
        samples: dict[Any, list[float]] = {c: [] for c in contenders}
        for _ in range(BLOCKS):
            await fill()
            medians = await block_medians_async(contenders, blocks=1, block=BLOCK)
            for contender, seconds in medians.items():
                samples[contender].append(seconds)
            publisher.clear()
        best = {c: sorted(s)[len(s) // 2] * 1e6 / ROUND for c, s in samples.items()}
        baseline = "asyncpg: one claim statement, one DELETE, one connection"
        floor = "the same statements through SQLAlchemy, a pooled connection each"
        return [
            Result(
                f"relay round of {ROUND} messages (PostgreSQL), per message",
                best[ours],
                best[sqlalchemy],
                "us/msg",
                floor,
                TARGET,
            ),
            Result(
                f"relay round of {ROUND} messages (PostgreSQL), per message, against asyncpg",
                best[ours],
                best[theirs],
                "us/msg",
                baseline,
            ),
            Result(
                "the hand-written round through SQLAlchemy, per message (its floor)",
                best[sqlalchemy],
                best[theirs],
                "us/msg",
                baseline,
            ),
            Result(
                f"a round settled one message at a time ({ROUND} DELETEs), per message",
                best[one_by_one],
                best[theirs],
                "us/msg",
                baseline,
            ),
        ]
    finally:
        await conn.execute("DROP TABLE IF EXISTS serpens_outbox")
        await conn.close()
        await engine.dispose()


def _fake_round() -> float:
    """Seconds per message of a relay round on the in-memory fake."""
    database = InMemoryDatabase()
    store = InMemoryOutboxStore(database)
    publisher = InMemoryPublisher()

    def round_trip() -> None:
        with InMemorySession(database) as session:
            outbox = InMemoryOutbox(session)
            for _ in range(ROUND):
                outbox.put(TOPIC, PAYLOAD)
            session.commit()
        asyncio.run(relay(store, publisher, limit=ROUND))
        publisher.clear()

    return best_of(round_trip, repeat=5, number=scaled(5, minimum=1)) / ROUND


def _put() -> tuple[float, float]:
    """Seconds per call: ``put`` against adding a prebuilt record to a session."""
    session = Session()
    outbox = SQLAlchemyOutbox(session)
    calls = scaled(2_000, minimum=100)
    encoded = json.dumps(PAYLOAD, separators=(",", ":")).encode()

    def put() -> None:
        for _ in range(calls):
            outbox.put(TOPIC, PAYLOAD, attributes={"kind": "created"})
        session.expunge_all()

    def bare() -> None:
        for i in range(calls):
            session.add(
                OutboxRecord(
                    key=f"{i:032x}",
                    topic=TOPIC,
                    payload=encoded,
                    attributes='{"kind":"created"}',
                    ordering_key="",
                    attempts=0,
                    token=0,
                    hidden_until=0,
                )
            )
        session.expunge_all()

    assert stage(TOPIC, PAYLOAD).payload == encoded
    return best_of(put, repeat=5) / calls, best_of(bare, repeat=5) / calls


def main() -> list[Result]:
    with start_postgres() as server:
        results = asyncio.run(_postgres(server.url, server.tier))
    fake = _fake_round()
    put, bare = _put()
    results += [
        Result(
            f"relay round of {ROUND} messages (in-memory fake, with the put and commit)",
            fake * 1e6,
            results[0].baseline,
            "us/msg",
            results[0].baseline_name,
        ),
        Result(
            "put: checks, encoding and a new record, added to a Session",
            put * 1e6,
            bare * 1e6,
            "us/call",
            "session.add of a record built by hand",
        ),
    ]
    return results


if __name__ == "__main__":
    print_table(main())
