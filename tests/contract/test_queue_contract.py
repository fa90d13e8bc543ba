"""The Queue contract: the fakes (settable and real clock), SQS on moto, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import boto3
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from serpens.fakes import AsyncInMemoryQueue, InMemoryQueue
from serpens.testing import FaultProxy, PostgresServer
from serpens_aws import AsyncSQSQueue, SQSQueue
from serpens_contract import AsyncQueueContract, QueueCapabilities, QueueContract
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    OutageKind,
    proxy_outage,
)
from serpens_sqlalchemy import AsyncPostgresQueue, PostgresQueue
from tests.contract._moto_deadlines import MOTO_CONFIG, moto_outage

# every fault, a trickling server too: a receive ends by its deadline, not by each read's
KINDS: frozenset[OutageKind] = ALL_KINDS | {"trickled"}
FAKE_OUTAGE = OutageCapabilities(kinds=KINDS, deadline=0.0)
# boto3 through a FaultProxy, with the deadlines of tests/contract/_moto_deadlines.py
SQS_OUTAGE = moto_outage(KINDS)


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


FAKE = QueueCapabilities(injectable_clock=True, content_based_dedup=True)
# every queue here can deduplicate a FIFO queue's sends by body
CONTENT_BASED = QueueCapabilities(content_based_dedup=True)


class TestInMemoryQueue(QueueContract):
    capabilities: ClassVar[QueueCapabilities] = FAKE
    outage_capabilities = FAKE_OUTAGE

    @pytest.fixture
    def open_queue(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str, bool], InMemoryQueue]:
        return lambda namespace, fifo: fake_outages.track(InMemoryQueue(fifo=fifo, clock=clock))

    @pytest.fixture
    def open_content_based_fifo(self, clock: ManualClock) -> Callable[[str], InMemoryQueue]:
        return lambda namespace: InMemoryQueue(fifo=True, content_based_dedup=True, clock=clock)

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage

    @pytest.fixture
    def advance_clock(self, clock: ManualClock) -> Callable[[float], None]:
        return clock.advance


class TestAsyncInMemoryQueue(AsyncQueueContract):
    capabilities: ClassVar[QueueCapabilities] = FAKE
    outage_capabilities = FAKE_OUTAGE

    @pytest.fixture
    def open_async_queue(
        self, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[str, bool], AsyncInMemoryQueue]:
        return lambda namespace, fifo: fake_outages.track(
            AsyncInMemoryQueue(fifo=fifo, clock=clock)
        )

    @pytest.fixture
    def open_async_content_based_fifo(
        self, clock: ManualClock
    ) -> Callable[[str], AsyncInMemoryQueue]:
        return lambda namespace: AsyncInMemoryQueue(
            fifo=True, content_based_dedup=True, clock=clock
        )

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage

    @pytest.fixture
    def advance_clock(self, clock: ManualClock) -> Callable[[float], None]:
        return clock.advance


class TestInMemoryQueueOnTheRealClock(QueueContract):
    """The fake on ``time.time``: visibility and delays expire after real waits."""

    capabilities: ClassVar[QueueCapabilities] = CONTENT_BASED

    @pytest.fixture
    def open_queue(self) -> Callable[[str, bool], InMemoryQueue]:
        return lambda namespace, fifo: InMemoryQueue(fifo=fifo)

    @pytest.fixture
    def open_content_based_fifo(self) -> Callable[[str], InMemoryQueue]:
        return lambda namespace: InMemoryQueue(fifo=True, content_based_dedup=True)


class TestAsyncInMemoryQueueOnTheRealClock(AsyncQueueContract):
    """The async fake on ``time.time``: its long poll waits for real."""

    capabilities: ClassVar[QueueCapabilities] = CONTENT_BASED

    @pytest.fixture
    def open_async_queue(self) -> Callable[[str, bool], AsyncInMemoryQueue]:
        return lambda namespace, fifo: AsyncInMemoryQueue(fifo=fifo)

    @pytest.fixture
    def open_async_content_based_fifo(self) -> Callable[[str], AsyncInMemoryQueue]:
        return lambda namespace: AsyncInMemoryQueue(fifo=True, content_based_dedup=True)


# moto forgets deduplication ids of deleted messages, answers a duplicate send with a new
# message id, and hands over timed-out FIFO messages of one group out of order (see
# QueueCapabilities); SQS does none of these.
MOTO = QueueCapabilities(
    dedup_after_ack=False,
    duplicate_answers_original_id=False,
    fifo_redelivery_order=False,
    content_based_dedup=True,
)


def _create(client: Any, namespace: str, fifo: bool, *, content_based: bool = False) -> str:
    name = f"{namespace}-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    if content_based:
        attributes["ContentBasedDeduplication"] = "true"
    return str(client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_proxy: FaultProxy) -> Any:
    """A boto3 SQS client through the fault proxy in front of moto."""
    url = f"http://{moto_proxy.host}:{moto_proxy.port}"
    return boto3.client("sqs", endpoint_url=url, config=MOTO_CONFIG)


@pytest.mark.aws
class TestSQSQueue(QueueContract):
    capabilities: ClassVar[QueueCapabilities] = MOTO
    outage_capabilities = SQS_OUTAGE

    @pytest.fixture
    def open_queue(self, sqs_client: Any) -> Callable[[str, bool], SQSQueue]:
        return lambda namespace, fifo: SQSQueue(_create(sqs_client, namespace, fifo), sqs_client)

    @pytest.fixture
    def open_content_based_fifo(self, sqs_client: Any) -> Callable[[str], SQSQueue]:
        return lambda namespace: SQSQueue(
            _create(sqs_client, namespace, True, content_based=True),
            sqs_client,
            content_based_dedup=True,
        )

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)


@pytest.mark.aws
class TestAsyncSQSQueue(AsyncQueueContract):
    capabilities: ClassVar[QueueCapabilities] = MOTO
    outage_capabilities = SQS_OUTAGE

    @pytest.fixture
    def open_async_queue(self, sqs_client: Any) -> Callable[[str, bool], AsyncSQSQueue]:
        return lambda namespace, fifo: AsyncSQSQueue(
            _create(sqs_client, namespace, fifo), sqs_client
        )

    @pytest.fixture
    def open_async_content_based_fifo(self, sqs_client: Any) -> Callable[[str], AsyncSQSQueue]:
        return lambda namespace: AsyncSQSQueue(
            _create(sqs_client, namespace, True, content_based=True),
            sqs_client,
            content_based_dedup=True,
        )

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)


@pytest.fixture(name="postgres_proxy", scope="module")
def _postgres_proxy(postgres_server: PostgresServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=(postgres_server.host, postgres_server.port)) as proxy:
        yield proxy


@pytest.fixture(name="postgres_engine", scope="module")
def _postgres_engine(postgres_url: str, postgres_proxy: FaultProxy) -> Iterator[Engine]:
    url = postgres_proxy.url_for(postgres_url).replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(
        url, pool_size=2, pool_pre_ping=True, connect_args={"connect_timeout": 1}
    )
    PostgresQueue(engine, "setup", deadline=1.0).create_table()  # the engine's ping: 1 s
    yield engine
    engine.dispose()


@pytest.mark.postgres
class TestPostgresQueue(QueueContract):
    # The engine's deadline (1 s, set by the setup queue) bounds the pool's pre-ping on the
    # client (psycopg2 has no read timeout), each queue's (2 s) its transactions' statements
    # and commit, connect_timeout the connect. The worst call on a frozen server: the pre-ping
    # times out (1 s), then the reconnect does (1 s with libpq 17; libpq 16 and older, as
    # psycopg2-binary 2.9.9 bundles, raise a connect_timeout under 2 s to 2 s); frozen inside
    # a transaction, its statement's 2 s. A 1 s transaction deadline cut a healthy receive's
    # COMMIT in CI (the fresh-machine step's installs and servers beside it on two cores).
    capabilities: ClassVar[QueueCapabilities] = CONTENT_BASED
    outage_capabilities = OutageCapabilities(kinds=KINDS, deadline=3.0)

    @pytest.fixture
    def outage(self, postgres_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(postgres_proxy)

    @pytest.fixture
    def open_queue(self, postgres_engine: Engine) -> Callable[[str, bool], PostgresQueue]:
        return lambda namespace, fifo: PostgresQueue(
            postgres_engine, f"{namespace}-{uuid.uuid4().hex[:8]}", fifo=fifo, deadline=2.0
        )

    @pytest.fixture
    def open_content_based_fifo(self, postgres_engine: Engine) -> Callable[[str], PostgresQueue]:
        return lambda namespace: PostgresQueue(
            postgres_engine,
            f"{namespace}-{uuid.uuid4().hex[:8]}",
            fifo=True,
            content_based_dedup=True,
            deadline=2.0,
        )


@pytest.mark.postgres
class TestAsyncPostgresQueue(AsyncQueueContract):
    # asyncpg through the proxy; each test runs its own event loop, so the engine opens a
    # connection per call (NullPool) and no pooled connection outlives its loop. Frozen:
    # a statement ends at the 2 s deadline, a connect at asyncpg's 2 s connect timeout (a
    # 1 s one ran out on a loaded machine while the proxy was still resetting it). A 1 s
    # statement deadline cut a healthy INSERT of the differential test in CI (four workers
    # on two cores); 2 s costs the outage cases nothing, the connect already takes it.
    capabilities: ClassVar[QueueCapabilities] = CONTENT_BASED
    outage_capabilities = OutageCapabilities(kinds=KINDS, deadline=2.0)

    @pytest.fixture
    def outage(self, postgres_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(postgres_proxy)

    @pytest.fixture
    def open_async_queue(
        self, postgres_engine: Engine, postgres_proxy: FaultProxy, postgres_url: str
    ) -> Callable[[str, bool], AsyncPostgresQueue]:
        assert postgres_engine is not None  # its fixture created the queue table
        url = postgres_proxy.url_for(postgres_url).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )

        def open_queue(
            namespace: str, fifo: bool, content_based: bool = False
        ) -> AsyncPostgresQueue:
            engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 2})
            name = f"{namespace}-{uuid.uuid4().hex[:8]}"
            return AsyncPostgresQueue(
                engine, name, fifo=fifo, content_based_dedup=content_based, deadline=2.0
            )

        return open_queue

    @pytest.fixture
    def open_async_content_based_fifo(
        self, open_async_queue: Callable[..., AsyncPostgresQueue]
    ) -> Callable[[str], AsyncPostgresQueue]:
        return lambda namespace: open_async_queue(namespace, True, content_based=True)
