import pytest

from serpens.fakes import InMemoryQueue  # stands in for your queue
from serpens_contract import QueueCapabilities, QueueContract


class Clock:
    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TestMyQueue(QueueContract):
    capabilities = QueueCapabilities(injectable_clock=True)

    @pytest.fixture
    def clock(self):
        return Clock()

    @pytest.fixture
    def open_queue(self, clock):  # (namespace, fifo) -> a new, empty queue
        return lambda _namespace, fifo: InMemoryQueue(fifo=fifo, clock=clock)

    @pytest.fixture
    def advance_clock(self, clock):  # optional: the default sleeps for real
        return clock.advance
