"""The IdempotencyStore contract on DynamoDB: ``DynamoDBIdempotencyStore`` on moto's server.

The stores build their own clients (with the cell's deadlines) on a FaultProxy in front of
moto's server, so the outage cases take that server down for real; the table is created
once for the module straight on moto, as a deployment would. Each store opened is a new
store with its own client (two processes of one service), on the one table.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from serpens.ports import IdempotencyStore
from serpens.testing import FaultProxy
from serpens_aws import DynamoDBIdempotencyStore
from serpens_contract.idempotency import IdempotencyCapabilities, IdempotencyContract
from serpens_contract.outage import ALL_KINDS, OutageHook, proxy_outage
from tests.contract._moto_deadlines import MOTO_CONFIG, moto_outage

# every fault, a trickling server too: each call ends by its deadline, not by each read's;
# the stores' own clients through a FaultProxy, with the deadlines of _moto_deadlines.py
AWS_OUTAGE = moto_outage(ALL_KINDS | {"trickled"})


@pytest.fixture(scope="module")
def idempotency_table(moto_endpoint: str) -> str:
    """A table made for this module's stores, straight on moto."""
    table = f"idempotency-{uuid.uuid4().hex[:12]}"
    creator = DynamoDBIdempotencyStore(table=table, endpoint_url=moto_endpoint)
    asyncio.run(creator.create_table())
    return table


@pytest.mark.aws
class TestDynamoDBIdempotencyStore(IdempotencyContract):
    # moto's threaded server checks a write's condition, then writes, without a lock (as
    # the document cell's atomic_conditional_put says): of twelve concurrent claims of one
    # key, two won once in a CI run. DynamoDB checks and writes an item as one step.
    capabilities = IdempotencyCapabilities(atomic_claims=False)
    outage_capabilities = AWS_OUTAGE

    @pytest.fixture
    def open_idempotency_store(
        self, moto_proxy: FaultProxy, idempotency_table: str
    ) -> Callable[[str], IdempotencyStore]:
        def open_store(namespace: str) -> IdempotencyStore:
            return DynamoDBIdempotencyStore(
                table=idempotency_table,
                namespace=namespace,
                endpoint_url=f"http://{moto_proxy.host}:{moto_proxy.port}",
                config=MOTO_CONFIG,
            )

        return open_store

    @pytest.fixture
    def outage(self, moto_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(moto_proxy)
