"""The outbox contract on the fakes: InMemoryOutbox and InMemoryOutboxStore on both clocks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryRepository,
    InMemorySession,
)
from serpens.outbox import OutboxRecord
from serpens.ports import OutboxStore
from serpens_contract.outage import ALL_KINDS, FakeOutages, OutageCapabilities, OutageHook
from serpens_contract.outbox import (
    ManualClock,
    OutboxCapabilities,
    OutboxContract,
    OutboxUnit,
    UnitMaker,
)


class _FakeCell(OutboxContract):
    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS | {"trickled"}, deadline=0.0)

    @pytest.fixture
    def database(self) -> InMemoryDatabase:
        return InMemoryDatabase()

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage

    @pytest.fixture
    def open_outbox_unit(self, database: InMemoryDatabase) -> UnitMaker:
        @asynccontextmanager
        async def open_unit() -> AsyncIterator[OutboxUnit]:
            with InMemorySession(database) as session:
                # a repository of the outbox's rows on the session flushes what it staged
                rows = InMemoryRepository(OutboxRecord, session=session)
                yield OutboxUnit(
                    InMemoryOutbox(session), session.commit, session.rollback, rows.flush
                )

        return open_unit


class TestInMemoryOutbox(_FakeCell):
    capabilities = OutboxCapabilities(clock="injected")

    @pytest.fixture
    def open_outbox_store(
        self, database: InMemoryDatabase, clock: ManualClock, fake_outages: FakeOutages
    ) -> Callable[[], OutboxStore]:
        return lambda: fake_outages.track(InMemoryOutboxStore(database, clock=clock))


class TestInMemoryOutboxOnTheRealClock(_FakeCell):
    capabilities = OutboxCapabilities(clock="real", time_unit=0.1)

    @pytest.fixture
    def open_outbox_store(
        self, database: InMemoryDatabase, fake_outages: FakeOutages
    ) -> Callable[[], OutboxStore]:
        return lambda: fake_outages.track(InMemoryOutboxStore(database, clock=time.time))
