"""Queue behaviour beyond the contract: fake details, SQS attributes, errors, concurrency."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import Engine, create_engine, text

from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    ValidationError,
)
from serpens.fakes import AsyncInMemoryQueue, InMemoryQueue
from serpens.ports import Message
from serpens_aws import AsyncSQSQueue, SQSQueue, sqs_message_attributes
from serpens_sqlalchemy import PostgresQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class TestInMemoryQueue:
    def test_dedup_window_expires_after_five_minutes(self) -> None:
        clock = Clock()
        queue = InMemoryQueue(fifo=True, clock=clock)
        queue.send("a", group_id="g", dedup_id="d")
        clock.now += 299
        queue.send("a", group_id="g", dedup_id="d")
        clock.now += 2
        queue.send("a", group_id="g", dedup_id="d")
        assert queue.pending_bodies() == ["a", "a"]

    def test_content_based_dedup_uses_the_body(self) -> None:
        queue = InMemoryQueue(fifo=True, content_based_dedup=True)
        queue.send("same", group_id="g")
        queue.send("same", group_id="h")
        queue.send("other", group_id="g")
        assert queue.pending_bodies() == ["same", "other"]

    def test_sent_at_follows_the_clock(self) -> None:
        clock = Clock()
        queue = InMemoryQueue(clock=clock)
        queue.send("x")
        (message,) = queue.receive()
        assert message.sent_at is not None
        assert message.sent_at.timestamp() == clock.now

    def test_wait_seconds_wakes_up_for_a_message_sent_from_another_thread(self) -> None:
        queue = InMemoryQueue()
        timer = threading.Timer(0.05, lambda: queue.send("late"))
        timer.start()
        started = time.monotonic()
        got = queue.receive(wait_seconds=2)
        timer.join()
        assert [m.body for m in got] == ["late"]
        assert time.monotonic() - started < 1

    def test_wait_seconds_returns_empty_after_the_wait(self) -> None:
        started = time.monotonic()
        assert list(InMemoryQueue().receive(wait_seconds=0.1)) == []
        assert time.monotonic() - started >= 0.1

    async def test_async_wait_does_not_block_the_loop(self) -> None:
        queue = AsyncInMemoryQueue()

        async def later() -> None:
            await asyncio.sleep(0.05)
            await queue.send("late")

        task = asyncio.create_task(later())
        got = await queue.receive(wait_seconds=2)
        await task
        assert [m.body for m in got] == ["late"]

    def test_bool_attributes_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="flag"):
            InMemoryQueue().send("x", attributes={"flag": True})  # type: ignore[dict-item]

    def test_numbers_read_back_as_strings(self) -> None:
        queue = InMemoryQueue()
        queue.send("x", attributes={"n": 3, "price": Decimal("9.90")})
        (message,) = queue.receive()
        assert dict(message.attributes) == {"n": "3", "price": "9.90"}


class TestSQSMessageAttributes:
    def test_numbers_are_sent_with_the_number_data_type_and_string_values(self) -> None:
        assert sqs_message_attributes(
            {"s": "text", "i": 3, "f": 1e-7, "d": Decimal("10.50"), "neg": -2}
        ) == {
            "s": {"DataType": "String", "StringValue": "text"},
            "i": {"DataType": "Number", "StringValue": "3"},
            "f": {"DataType": "Number", "StringValue": "0.0000001"},
            "d": {"DataType": "Number", "StringValue": "10.50"},
            "neg": {"DataType": "Number", "StringValue": "-2"},
        }

    @pytest.mark.parametrize(
        "value", [True, float("nan"), float("inf"), Decimal("NaN"), None, b"bytes"]
    )
    def test_values_sqs_cannot_take_are_validation_errors(self, value: Any) -> None:
        with pytest.raises(ValidationError):
            sqs_message_attributes({"v": value})


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


@pytest.mark.aws
class TestSQSQueue:
    def test_numeric_attributes_reach_sqs_as_numbers(self, sqs_client: Any) -> None:
        url = sqs_client.create_queue(QueueName=f"n-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        SQSQueue(url, sqs_client).send("x", attributes={"n": 3, "price": 9.5})
        raw = sqs_client.receive_message(QueueUrl=url, MessageAttributeNames=["All"])
        attributes = raw["Messages"][0]["MessageAttributes"]
        assert attributes["n"] == {"StringValue": "3", "DataType": "Number"}
        assert attributes["price"] == {"StringValue": "9.5", "DataType": "Number"}

    def test_from_name_finds_the_queue_or_raises_not_found(self, sqs_client: Any) -> None:
        name = f"f-{uuid.uuid4().hex[:8]}"
        url = sqs_client.create_queue(QueueName=name)["QueueUrl"]
        assert SQSQueue.from_name(name, sqs_client).queue_url == url
        with pytest.raises(NotFoundError):
            SQSQueue.from_name(f"{name}-missing", sqs_client)

    def test_a_deleted_queue_is_not_found(self, sqs_client: Any) -> None:
        url = sqs_client.create_queue(QueueName=f"d-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        queue = SQSQueue(url, sqs_client)
        sqs_client.delete_queue(QueueUrl=url)
        with pytest.raises(NotFoundError):
            queue.send("x")

    def test_an_unreachable_endpoint_is_backend_unavailable(self) -> None:
        client = boto3.client(
            "sqs",
            endpoint_url="http://127.0.0.1:9",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1),
        )
        queue = SQSQueue("http://127.0.0.1:9/123456789012/q", client)
        with pytest.raises(BackendUnavailableError):
            queue.send("x")
        with pytest.raises(BackendUnavailableError):
            asyncio.run(AsyncSQSQueue(queue.queue_url, client).receive())

    def test_missing_region_is_a_configuration_error(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
    ) -> None:
        for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        with pytest.raises(ConfigurationError, match="not configured"):
            SQSQueue("http://127.0.0.1:9/123456789012/q").send("x")

    async def test_async_queue_does_not_block_the_event_loop(self, sqs_client: Any) -> None:
        url = sqs_client.create_queue(QueueName=f"a-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        queue = AsyncSQSQueue(url, sqs_client)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        got = await queue.receive(wait_seconds=1)  # a 1 s long poll on an empty queue
        task.cancel()
        assert list(got) == []
        # a blocked loop runs the ticker not once before the poll returns; a free one up to
        # 100 times, fewer when a busy machine starves this process (8 seen at a load of 8)
        assert ticks >= 3


@pytest.fixture(name="engine", scope="module")
def _engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    PostgresQueue(engine, "setup").create_table()
    yield engine
    engine.dispose()


@pytest.mark.postgres
class TestPostgresQueue:
    def test_concurrent_consumers_never_receive_the_same_message(self, engine: Engine) -> None:
        queue = PostgresQueue(engine, f"c-{uuid.uuid4().hex[:8]}")
        sent = {queue.send(f"m{i}") for i in range(60)}
        seen: list[str] = []
        lock = threading.Lock()

        def consume() -> None:
            while batch := queue.receive(max_messages=5, visibility_timeout=60):
                with lock:
                    seen.extend(m.id for m in batch)
                for message in batch:
                    queue.ack(message)

        threads = [threading.Thread(target=consume) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(seen) == Counter(sent)  # each exactly once

    def test_create_table_upgrades_a_table_made_before_received_at(self, engine: Engine) -> None:
        """A table from an earlier build gains ``received_at``; its in-flight rows stay usable.

        A row received before the column existed has no start for the 12-hour window, so
        its visibility changes are not held to it; a row received since is.
        """
        table = f"old_{uuid.uuid4().hex[:8]}"
        queue = PostgresQueue(engine, "q", table=table)
        queue.create_table()
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN received_at"))
        queue.send("before")
        with engine.begin() as conn:  # a receive by the earlier build: no received_at
            conn.execute(
                text(
                    f"UPDATE {table} SET receive_count = 1, visible_at = clock_timestamp()"
                    " + interval '60 seconds', receipt = id::text || '.old'"
                )
            )
            old_receipt = conn.execute(text(f"SELECT receipt FROM {table}")).scalar_one()
        queue.create_table()  # at deploy time: adds the column
        queue.send("after")
        (after,) = queue.receive(visibility_timeout=60)
        before = Message(
            id=old_receipt.split(".")[0], body="before", receipt=old_receipt, receive_count=1
        )
        queue.change_visibility(before, 43_200)  # no window known: accepted
        time.sleep(0.01)
        with pytest.raises(ValidationError):
            queue.change_visibility(after, 43_200)
        queue.ack(before)
        queue.ack(after)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}, {table}_dedup"))

    def test_a_missing_table_is_not_found(self, engine: Engine) -> None:
        with pytest.raises(NotFoundError):
            PostgresQueue(engine, "q", table="no_such_table").send("x")

    def test_an_unsafe_table_name_is_refused(self, engine: Engine) -> None:
        with pytest.raises(ValidationError):
            PostgresQueue(engine, "q", table="x; DROP TABLE y")

    def test_an_unreachable_server_is_backend_unavailable(self) -> None:
        engine = create_engine("postgresql+psycopg2://postgres:secret@127.0.0.1:9/db")
        with pytest.raises(BackendUnavailableError) as caught:
            PostgresQueue(engine, "q").send("x")
        assert "secret" not in str(caught.value)
        engine.dispose()


# Real SQS answers a change of visibility on a deleted message with InvalidParameterValue
# naming the ReceiptHandle; moto answers with another code, so the contract cells never
# see this shape. The answer's documented form is built here (no wire call is faked).
_GONE = (
    "Value AQEB... for parameter ReceiptHandle is invalid. Reason: Message does not exist "
    "or is not available for visibility timeout change."
)


@pytest.mark.parametrize(
    ("code", "message", "refused"),
    [
        ("InvalidParameterValue", _GONE, True),
        ("InvalidParameterValue", "Value 50000 for parameter VisibilityTimeout is invalid.", False),
        ("ReceiptHandleIsInvalid", "The input receipt handle (ReceiptHandle) is invalid.", False),
        ("InvalidParameterValue", "", False),
    ],
)
def test_only_sqs_answer_about_a_receipt_counts_as_a_message_not_in_flight(
    code: str, message: str, refused: bool
) -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from serpens_aws._queue import _receipt_refused  # noqa: PLC0415 - the rule under test

    error = ClientError({"Error": {"Code": code, "Message": message}}, "ChangeMessageVisibility")
    assert _receipt_refused(error) is refused
    bare = ClientError({}, "ChangeMessageVisibility")  # no Error at all
    assert _receipt_refused(bare) is False
