"""``QueueContract`` and ``AsyncQueueContract``: the suites every queue must pass.

The suites hold the fixtures an implementation overrides (``open_queue``,
``advance_clock``, ...) and join the case mixins, one per theme.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest

from serpens.ports import AsyncQueue, Message, Queue
from serpens_contract._cancels import cancels_not_honoured
from serpens_contract._suite import ContractSuite
from serpens_contract.outage import QueueOutageCases
from serpens_contract.queue._capabilities import QueueCapabilities
from serpens_contract.queue._delivery import _QueueDeliveryCases
from serpens_contract.queue._differential import _QueueDifferentialCases
from serpens_contract.queue._fifo import _QueueFifoCases
from serpens_contract.queue._limits import _QueueLimitCases
from serpens_contract.queue._support import (
    AsyncContentBasedFifoFactory,
    AsyncQueueFactory,
    ContentBasedFifoFactory,
    QueueFactory,
)
from serpens_contract.queue._typed_values import _QueueTypedValueCases
from serpens_contract.queue._visibility import _QueueVisibilityCases
from serpens_contract.runner import SyncDriver


# pytest collects a class's bases last-first: listed so that the tests run in the order
# delivery, limits, typed values, visibility, FIFO, differential.
class QueueContract(
    _QueueDifferentialCases,
    _QueueFifoCases,
    _QueueVisibilityCases,
    _QueueTypedValueCases,
    _QueueLimitCases,
    _QueueDeliveryCases,
    QueueOutageCases,
    ContractSuite,
):
    """Every Queue must pass these tests.

    Override ``open_queue`` to return a callable ``(namespace, fifo) -> Queue`` giving
    a new empty queue per call. Override ``advance_clock`` (``seconds -> None``) when
    the implementation takes an injectable clock; by default it sleeps for real. An
    implementation declaring ``content_based_dedup`` overrides ``open_content_based_fifo``
    (``namespace -> Queue``, a FIFO queue deduplicating by body) as well.
    """

    contract = "queue"
    capabilities: ClassVar[QueueCapabilities] = QueueCapabilities()

    @pytest.fixture
    def open_queue(self) -> QueueFactory:
        pytest.fail("override `open_queue`: return a callable (namespace, fifo) -> queue")

    @pytest.fixture
    def advance_clock(self) -> Callable[[float], None]:
        return time.sleep

    @pytest.fixture
    def open_content_based_fifo(self) -> ContentBasedFifoFactory:
        pytest.fail(
            "override `open_content_based_fifo`: return a callable namespace -> FIFO queue"
            " deduplicating by body, or leave the content_based_dedup capability off"
        )

    @pytest.fixture
    def queue(self, open_queue: QueueFactory) -> Queue:
        return open_queue(f"q{uuid.uuid4().hex[:12]}", fifo=False)

    @pytest.fixture
    def fifo(self, open_queue: QueueFactory) -> Queue:
        return open_queue(f"q{uuid.uuid4().hex[:12]}", fifo=True)


class AsyncQueueContract(QueueContract):
    """Every AsyncQueue must pass the Queue contract, run through a :class:`SyncDriver`.

    Override ``open_async_queue`` to return a callable ``(namespace, fifo) ->
    AsyncQueue``; it is called on the suite's event loop.
    """

    @pytest.fixture
    def open_async_queue(self) -> AsyncQueueFactory:
        pytest.fail("override `open_async_queue`: return a callable (namespace, fifo) -> queue")

    @pytest.fixture
    def open_async_content_based_fifo(self) -> AsyncContentBasedFifoFactory:
        pytest.fail(
            "override `open_async_content_based_fifo`: return a callable namespace -> FIFO"
            " queue deduplicating by body, or leave the content_based_dedup capability off"
        )

    @pytest.fixture
    def queue_runner(self) -> Iterator[asyncio.Runner]:
        """The event loop the suite drives every async queue of one test on."""
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def open_queue(
        self, open_async_queue: AsyncQueueFactory, queue_runner: asyncio.Runner
    ) -> QueueFactory:
        async def make(namespace: str, fifo: bool) -> AsyncQueue:
            return open_async_queue(namespace, fifo)

        def factory(namespace: str, fifo: bool) -> Queue:
            return SyncDriver(queue_runner.run(make(namespace, fifo)), queue_runner)

        return factory

    @pytest.fixture
    def open_content_based_fifo(
        self,
        open_async_content_based_fifo: AsyncContentBasedFifoFactory,
        queue_runner: asyncio.Runner,
    ) -> ContentBasedFifoFactory:
        async def make(namespace: str) -> AsyncQueue:
            return open_async_content_based_fifo(namespace)

        def factory(namespace: str) -> Queue:
            return SyncDriver(queue_runner.run(make(namespace)), queue_runner)

        return factory

    def test_a_long_poll_returns_a_message_sent_meanwhile_promptly(
        self, open_async_queue: AsyncQueueFactory, queue_runner: asyncio.Runner
    ) -> None:
        """A ``receive`` waiting on an empty queue returns a message sent meanwhile.

        Within 0.7 s of the send, not at the end of its wait: SQS answers a long poll
        as soon as a message arrives, and a poll loop must look often enough to match.
        """

        async def scenario() -> tuple[list[str], float]:
            queue = open_async_queue(f"q{uuid.uuid4().hex[:12]}", fifo=False)
            receiver = asyncio.ensure_future(queue.receive(wait_seconds=5))
            await asyncio.sleep(0.05)  # the receive is waiting by now
            sent = time.monotonic()
            await queue.send("meanwhile")
            got = await receiver
            return [m.body for m in got], time.monotonic() - sent

        bodies, after = queue_runner.run(scenario())
        assert bodies == ["meanwhile"]
        assert after < 0.7, f"received {after:.2f} s after the send"

    def test_a_cancelled_call_ends_cancelled_wherever_the_cancel_lands(
        self, open_async_queue: AsyncQueueFactory, queue_runner: asyncio.Runner
    ) -> None:
        """A ``cancel()`` that finds ``send``, ``receive`` or ``ack`` running ends it.

        Each call is cancelled after 0, 1, 2, ... turns of the event loop (see
        :func:`serpens_contract._cancels.cancels_not_honoured`): it may finish before
        its cancel, but one that a cancel found running never returns.
        """

        async def scenario() -> dict[str, list[str]]:
            queue = open_async_queue(f"q{uuid.uuid4().hex[:12]}", fifo=False)
            held: list[Message] = []

            async def one_sent() -> None:
                await queue.send("to receive")

            async def one_received() -> None:
                await queue.send("to ack")
                held[:] = await queue.receive(wait_seconds=5, visibility_timeout=30)
                assert held, "a message sent was not received within 5 s"

            return {
                "send": await cancels_not_honoured(lambda: queue.send("body")),
                "receive": await cancels_not_honoured(
                    lambda: queue.receive(wait_seconds=1, visibility_timeout=30), before=one_sent
                ),
                "ack": await cancels_not_honoured(lambda: queue.ack(held[0]), before=one_received),
            }

        assert queue_runner.run(scenario()) == {"send": [], "receive": [], "ack": []}
