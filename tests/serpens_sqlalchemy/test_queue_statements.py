"""The PostgreSQL queues' shared pieces (``_queue_statements.py``) beyond the contract.

What the Queue contract cannot see, pinned here from the survivors of a mutation round:
the table names a queue takes, the errors naming what it was given instead of an engine
or a receipt, the client-side deadlines an engine gets, how soon a long poll answers,
that an acknowledgement's tombstone never deduplicates a send, that ``sent_at`` is UTC
whatever the machine's time zone, that a statement past the queue's deadline is a
timeout naming it, and that ``create_table()`` brings an earlier build's tables up to
date (an acknowledgement's tombstone keeps its receipt since 2026-12-04) without
taking a table lock when there is nothing to add.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, TextClause, create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from serpens.errors import BackendTimeoutError, ConfigurationError, NotFoundError, ValidationError
from serpens.ports import Message
from serpens.testing import FaultProxy, PostgresServer
from serpens_sqlalchemy import AsyncPostgresQueue, PostgresQueue
from serpens_sqlalchemy._deadline import bound_round_trips
from serpens_sqlalchemy._queue_ddl import QueueSchema

# construction does no I/O: an engine on a port nothing listens on is enough
_NOWHERE = "postgresql+psycopg2://nobody@127.0.0.1:9/none"
_DEADLINE = "serpens_deadline_s"  # the attribute bound_round_trips sets on a dialect


@pytest.fixture(name="engine", scope="module")
def _engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    PostgresQueue(engine, "setup", deadline=5.0).create_table()
    yield engine
    engine.dispose()


def _drop_tables(engine: Engine, table: str) -> None:
    """Drop a queue table and its dedup table (a test's own, by its unique name)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}, {table}_dedup")


def _name() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


class TestTableNames:
    @pytest.mark.parametrize("table", ["q" * 50, "queue_1", "Q"])
    def test_letters_digits_and_underscores_up_to_50_are_taken(self, table: str) -> None:
        engine = create_engine(_NOWHERE)
        assert repr(PostgresQueue(engine, "q", table=table)) == "PostgresQueue('q', fifo=False)"
        engine.dispose()

    @pytest.mark.parametrize("table", ["q" * 51, "1queue", "_queue", "queue-1", ""])
    def test_longer_names_and_names_not_starting_with_a_letter_are_refused(
        self, table: str
    ) -> None:
        engine = create_engine(_NOWHERE)
        with pytest.raises(ValidationError, match=f"table name {table!r} must be letters"):
            PostgresQueue(engine, "q", table=table)
        engine.dispose()


class TestWhatWasGiven:
    def test_the_sync_queue_names_the_type_it_was_given(self) -> None:
        with pytest.raises(ConfigurationError, match=r"on PostgreSQL; it was given a str$"):
            PostgresQueue(_NOWHERE, "q")  # type: ignore[arg-type]

    def test_the_async_queue_names_the_type_it_was_given(self) -> None:
        engine = create_engine(_NOWHERE)
        with pytest.raises(ConfigurationError, match="it was given a Engine: use PostgresQueue"):
            AsyncPostgresQueue(engine, "q")  # type: ignore[arg-type]
        engine.dispose()


def test_a_receipt_naming_no_message_id_is_refused_with_it_before_any_io() -> None:
    engine = create_engine(_NOWHERE)  # nothing listens: a round trip would be unavailable
    queue = PostgresQueue(engine, "q")
    made_up = Message(id="m", body="b", receipt="not-a-receipt.x", receive_count=1)
    with pytest.raises(NotFoundError, match=r"with receipt 'not-a-receipt\.x'$"):
        queue.ack(made_up)
    with pytest.raises(NotFoundError, match=r"with receipt 'not-a-receipt\.x'$"):
        queue.change_visibility(made_up, 10)
    engine.dispose()


class TestEngineDeadlines:
    def test_an_engine_without_deadlines_gets_seven_seconds(self) -> None:
        engine = create_engine(_NOWHERE)
        assert not hasattr(engine.dialect, _DEADLINE)
        PostgresQueue(engine, "q")
        assert getattr(engine.dialect, _DEADLINE) == 7.0
        engine.dispose()

    def test_an_engine_without_deadlines_gets_the_queues(self) -> None:
        engine = create_engine(_NOWHERE)
        PostgresQueue(engine, "q", deadline=2.5)
        assert getattr(engine.dialect, _DEADLINE) == 2.5
        async_engine = create_async_engine(_NOWHERE.replace("psycopg2", "asyncpg"))
        AsyncPostgresQueue(async_engine, "q", deadline=1.5)
        assert getattr(async_engine.sync_engine.dialect, _DEADLINE) == 1.5
        engine.dispose()

    def test_an_engine_with_deadlines_keeps_them(self) -> None:
        engine = create_engine(_NOWHERE)
        bound_round_trips(engine, statement_s=3.0, ping_s=3.0)  # as bind() does
        PostgresQueue(engine, "q", deadline=1.0)
        PostgresQueue(engine, "q")
        assert getattr(engine.dialect, _DEADLINE) == 3.0
        engine.dispose()


@pytest.mark.postgres
class TestDelivery:
    def test_a_long_poll_answers_within_a_poll_of_the_send(self, engine: Engine) -> None:
        """Waiting polls every 0.1 s: a message sent 0.1 s in arrives well before 1 s."""
        queue = PostgresQueue(engine, _name(), deadline=5.0)
        sender = threading.Timer(0.1, queue.send, args=("late",))
        started = time.monotonic()
        sender.start()
        try:
            got = queue.receive(wait_seconds=10)
            elapsed = time.monotonic() - started
        finally:
            sender.join()
        assert [m.body for m in got] == ["late"]
        assert elapsed < 1.0

    def test_an_acknowledgement_never_deduplicates_a_send(self, engine: Engine) -> None:
        """The tombstone of an ack holds a key no dedup id can be, however alike."""
        fifo = PostgresQueue(engine, _name(), fifo=True, deadline=5.0)
        fifo.send("first", group_id="g", dedup_id="d")
        (first,) = fifo.receive(visibility_timeout=60)
        fifo.ack(first)
        lookalikes = [first.id, f"acked{first.id}", f"acked-{first.id}", f"None{first.id}"]
        sent = [fifo.send(f"b{i}", group_id="g", dedup_id=d) for i, d in enumerate(lookalikes)]
        assert first.id not in sent
        got = fifo.receive(max_messages=10, visibility_timeout=60)
        assert [m.body for m in got] == ["b0", "b1", "b2", "b3"]
        assert [m.id for m in got] == sent

    def test_sent_at_is_utc_in_any_local_time_zone(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        queue = PostgresQueue(engine, _name(), deadline=5.0)
        queue.send("x")
        monkeypatch.setenv("TZ", "America/New_York")
        time.tzset()
        try:
            assert time.localtime().tm_gmtoff != 0  # the zone took
            (message,) = queue.receive(visibility_timeout=60)
        finally:
            monkeypatch.undo()
            time.tzset()
        assert message.sent_at is not None
        offset = message.sent_at.utcoffset()
        assert offset is not None
        assert offset.total_seconds() == 0
        assert abs(message.sent_at.timestamp() - time.time()) < 60


@pytest.mark.postgres
class TestDeadlinePassed:
    """The contract's frozen server ends calls by libpq's or asyncpg's connect timeout;
    these end them by the client-side deadline of a round trip on a warm connection."""

    @pytest.fixture(name="proxy")
    def _proxy(self, postgres_server: PostgresServer) -> Iterator[FaultProxy]:
        with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
            yield proxy

    @pytest.fixture(name="queue")
    def _queue(self, proxy: FaultProxy, postgres_url: str) -> Iterator[PostgresQueue]:
        url = proxy.url_for(postgres_url).replace("postgresql://", "postgresql+psycopg2://", 1)
        engine = create_engine(
            url, pool_size=1, pool_pre_ping=False, connect_args={"connect_timeout": 5}
        )
        queue = PostgresQueue(engine, _name(), deadline=0.5)  # the engine's too: 0.5 s
        queue.create_table()
        queue.send("warm")  # a pooled connection, open
        yield queue
        engine.dispose()

    def test_a_statement_past_its_deadline_is_a_timeout(
        self, proxy: FaultProxy, queue: PostgresQueue
    ) -> None:
        with proxy.freeze(), pytest.raises(BackendTimeoutError, match=r"within 0\.5 s"):
            queue.send("frozen")


# The tables as an earlier build made them: no received_at, and tombstones that
# kept only the acknowledged message's id.
_EARLIER_DDL = (
    (
        "CREATE TABLE {t} (id uuid PRIMARY KEY, queue text NOT NULL, seq bigserial NOT NULL,"
        " body text NOT NULL, attributes jsonb NOT NULL, group_id text,"
        " sent_at timestamptz NOT NULL, visible_at timestamptz NOT NULL,"
        " receive_count integer NOT NULL DEFAULT 0, receipt text)"
    ),
    (
        "CREATE TABLE {t}_dedup (queue text NOT NULL, dedup_id text NOT NULL,"
        " message_id uuid NOT NULL, expires_at timestamptz NOT NULL,"
        " PRIMARY KEY (queue, dedup_id))"
    ),
)


@pytest.mark.postgres
class TestTablesOfAnEarlierBuild:
    """``create_table()`` brings tables an earlier serpens made up to date, data kept."""

    @pytest.fixture(name="table")
    def _table(self, engine: Engine) -> Iterator[str]:
        table = f"old_{uuid.uuid4().hex[:10]}"
        with engine.begin() as conn:
            for statement in _EARLIER_DDL:
                conn.exec_driver_sql(statement.format(t=table))
        yield table
        _drop_tables(engine, table)

    def test_create_table_adds_the_columns_and_acks_check_the_receipt(
        self, engine: Engine, table: str
    ) -> None:
        queue = PostgresQueue(engine, "jobs", table=table, deadline=5.0)
        queue.create_table()
        queue.create_table()  # idempotent
        with engine.connect() as conn:
            columns = {
                (name, column)
                for name, column in conn.exec_driver_sql(
                    "SELECT table_name, column_name FROM information_schema.columns"
                    f" WHERE table_name IN ('{table}', '{table}_dedup')"
                )
            }
        assert {
            (table, "received_at"),
            (f"{table}_dedup", "receipt"),
            (f"{table}_dedup", "receive_count"),
        } <= columns
        queue.send("work")
        (message,) = queue.receive(visibility_timeout=60)
        queue.ack(message)
        with pytest.raises(NotFoundError):
            queue.ack(Message(message.id, "work", f"{message.id}.{'0' * 32}", 1))
        queue.ack(message)

    def test_a_tombstone_an_earlier_build_wrote_still_answers_by_id(
        self, engine: Engine, table: str
    ) -> None:
        """It kept no receipt to check a token against, so any token of the id passes."""
        acked = uuid.uuid4()
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO {table}_dedup VALUES"
                " ('jobs', %(k)s, %(id)s, clock_timestamp() + interval '1 hour')",
                {"k": f"acked {acked}", "id": acked},
            )
        queue = PostgresQueue(engine, "jobs", table=table, deadline=5.0)
        queue.create_table()
        queue.ack(Message(str(acked), "x", f"{acked}.{'1' * 32}", 1))
        other = uuid.uuid4()  # a message with no tombstone at all
        with pytest.raises(NotFoundError):
            queue.ack(Message(str(other), "x", f"{other}.{'1' * 32}", 1))


@pytest.mark.postgres
class TestCreateTableOnALiveQueue:
    """DDL locks its table even when ``IF NOT EXISTS`` makes it a no-op (``ALTER TABLE``
    exclusively), so ``create_table()`` runs only what the catalog shows missing."""

    @pytest.fixture(name="table")
    def _table(self, engine: Engine) -> Iterator[str]:
        table = f"live_{uuid.uuid4().hex[:10]}"
        PostgresQueue(engine, "jobs", table=table, deadline=5.0).create_table()
        yield table
        _drop_tables(engine, table)

    def test_a_complete_schema_waits_for_no_transaction_in_flight(
        self, engine: Engine, table: str
    ) -> None:
        queue = PostgresQueue(engine, "jobs", table=table, deadline=1.0)
        # the healthy calls get more: a loaded machine's COMMIT can take a second
        worker = PostgresQueue(engine, "jobs", table=table, deadline=5.0)
        with engine.connect() as busy, busy.begin():  # a send and an ack, not yet committed
            busy.exec_driver_sql(f"LOCK TABLE {table}, {table}_dedup IN ROW EXCLUSIVE MODE")
            queue.create_table()  # an ALTER TABLE would wait past the 1 s deadline
            worker.send("meanwhile")
        (message,) = worker.receive(visibility_timeout=60)
        assert message.body == "meanwhile"

    async def test_the_async_queue_creates_its_tables_then_adds_nothing(
        self, engine: Engine, postgres_url: str
    ) -> None:
        """asyncpg reads the catalog's arrays as lists too; a second call takes no lock."""
        table = f"anew_{uuid.uuid4().hex[:10]}"
        url = postgres_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        async_engine = create_async_engine(url, poolclass=NullPool)
        try:
            await AsyncPostgresQueue(async_engine, "jobs", table=table, deadline=5.0).create_table()
            queue = AsyncPostgresQueue(async_engine, "jobs", table=table, deadline=1.0)
            worker = AsyncPostgresQueue(async_engine, "jobs", table=table, deadline=5.0)
            with engine.connect() as busy, busy.begin():  # a send in flight, not committed
                busy.exec_driver_sql(f"LOCK TABLE {table}, {table}_dedup IN ROW EXCLUSIVE MODE")
                await queue.create_table()
            await worker.send("work")
            (message,) = await worker.receive(visibility_timeout=60)
            assert message.body == "work"
        finally:
            await async_engine.dispose()
            _drop_tables(engine, table)

    def test_a_missing_index_and_dedup_table_are_made_again(
        self, engine: Engine, table: str
    ) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX {table}_ready")
            conn.exec_driver_sql(f"DROP TABLE {table}_dedup")
        queue = PostgresQueue(engine, "jobs", table=table, fifo=True, deadline=5.0)
        queue.create_table()
        with engine.connect() as conn:
            index = conn.exec_driver_sql(
                f"SELECT indexdef FROM pg_indexes WHERE indexname = '{table}_ready'"
            ).scalar_one()
        assert index.endswith("(queue, visible_at, seq)")
        first = queue.send("once", group_id="g", dedup_id="k")  # the dedup table answers
        assert queue.send("twice", group_id="g", dedup_id="k") == first


class TestMissingDdl:
    """``QueueSchema.missing``: what runs for each state of the catalog (no I/O)."""

    _QUEUE = (
        "id",
        "queue",
        "seq",
        "body",
        "attributes",
        "group_id",
        "sent_at",
        "visible_at",
        "receive_count",
        "receipt",
        "received_at",
    )
    _DEDUP = ("queue", "dedup_id", "message_id", "expires_at", "receipt", "receive_count")

    @staticmethod
    def _heads(statements: list[TextClause], words: int) -> list[str]:
        return [" ".join(str(statement).split()[:words]) for statement in statements]

    def test_a_complete_schema_needs_nothing(self) -> None:
        assert QueueSchema("q").missing(True, self._QUEUE, self._DEDUP) == []

    def test_an_empty_database_gets_each_object_created_whole(self) -> None:
        assert self._heads(QueueSchema("q").missing(False, [], []), 7) == [
            "CREATE TABLE IF NOT EXISTS q (",
            "CREATE INDEX IF NOT EXISTS q_ready ON",
            "CREATE TABLE IF NOT EXISTS q_dedup (",
        ]

    def test_an_earlier_build_gains_only_the_columns_it_lacks(self) -> None:
        queue = [c for c in self._QUEUE if c != "received_at"]
        dedup = [c for c in self._DEDUP if c not in ("receipt", "receive_count")]
        assert self._heads(QueueSchema("q").missing(True, queue, dedup), 9) == [
            "ALTER TABLE q ADD COLUMN IF NOT EXISTS received_at",
            "ALTER TABLE q_dedup ADD COLUMN IF NOT EXISTS receipt",
            "ALTER TABLE q_dedup ADD COLUMN IF NOT EXISTS receive_count",
        ]
        receipt_only = [c for c in self._DEDUP if c != "receive_count"]
        (statement,) = QueueSchema("q").missing(True, self._QUEUE, receipt_only)
        assert str(statement).endswith("ADD COLUMN IF NOT EXISTS receive_count integer")
