"""The Queue contract: the fakes (settable and real clock), SQS on moto, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import boto3
import pytest
from sqlalchemy import Engine, create_engine

from serpens.fakes import AsyncInMemoryQueue, InMemoryQueue
from serpens_aws import AsyncSQSQueue, SQSQueue
from serpens_contract import AsyncQueueContract, QueueCapabilities, QueueContract
from serpens_sqlalchemy import PostgresQueue


class ManualClock:
    """POSIX seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock()


FAKE = QueueCapabilities(injectable_clock=True)


class TestInMemoryQueue(QueueContract):
    capabilities: ClassVar[QueueCapabilities] = FAKE

    @pytest.fixture
    def open_queue(self, clock: ManualClock) -> Callable[[str, bool], InMemoryQueue]:
        return lambda namespace, fifo: InMemoryQueue(fifo=fifo, clock=clock)

    @pytest.fixture
    def advance_clock(self, clock: ManualClock) -> Callable[[float], None]:
        return clock.advance


class TestAsyncInMemoryQueue(AsyncQueueContract):
    capabilities: ClassVar[QueueCapabilities] = FAKE

    @pytest.fixture
    def open_async_queue(self, clock: ManualClock) -> Callable[[str, bool], AsyncInMemoryQueue]:
        return lambda namespace, fifo: AsyncInMemoryQueue(fifo=fifo, clock=clock)

    @pytest.fixture
    def advance_clock(self, clock: ManualClock) -> Callable[[float], None]:
        return clock.advance


class TestInMemoryQueueOnTheRealClock(QueueContract):
    """The fake on ``time.time``: visibility and delays expire after real waits."""

    @pytest.fixture
    def open_queue(self) -> Callable[[str, bool], InMemoryQueue]:
        return lambda namespace, fifo: InMemoryQueue(fifo=fifo)


# moto forgets deduplication ids of deleted messages, and hands over timed-out FIFO
# messages of one group out of order (see QueueCapabilities); SQS does neither.
MOTO = QueueCapabilities(dedup_after_ack=False, fifo_redelivery_order=False)


def _create(client: Any, namespace: str, fifo: bool) -> str:
    name = f"{namespace}-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    return str(client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@pytest.mark.aws
class TestSQSQueue(QueueContract):
    capabilities: ClassVar[QueueCapabilities] = MOTO

    @pytest.fixture
    def open_queue(self, moto_endpoint: str) -> Callable[[str, bool], SQSQueue]:
        client = boto3.client("sqs", endpoint_url=moto_endpoint)
        return lambda namespace, fifo: SQSQueue(_create(client, namespace, fifo), client)


@pytest.mark.aws
class TestAsyncSQSQueue(AsyncQueueContract):
    capabilities: ClassVar[QueueCapabilities] = MOTO

    @pytest.fixture
    def open_async_queue(self, moto_endpoint: str) -> Callable[[str, bool], AsyncSQSQueue]:
        client = boto3.client("sqs", endpoint_url=moto_endpoint)
        return lambda namespace, fifo: AsyncSQSQueue(_create(client, namespace, fifo), client)


@pytest.fixture(name="postgres_engine", scope="module")
def _postgres_engine(postgres_url: str) -> Iterator[Engine]:
    url = postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url, pool_size=2)
    PostgresQueue(engine, "setup").create_table()
    yield engine
    engine.dispose()


@pytest.mark.postgres
class TestPostgresQueue(QueueContract):
    @pytest.fixture
    def open_queue(self, postgres_engine: Engine) -> Callable[[str, bool], PostgresQueue]:
        return lambda namespace, fifo: PostgresQueue(
            postgres_engine, f"{namespace}-{uuid.uuid4().hex[:8]}", fifo=fifo
        )
