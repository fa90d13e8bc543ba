"""Contract suites of the Queue and AsyncQueue ports (``serpens.ports.Queue``)."""

# The suites, split by theme into private modules of at most 400 lines: _capabilities
# (QueueCapabilities and the capability names), _support (the factory protocols and the
# helpers the cases share), the case mixins _delivery, _limits, _typed_values,
# _visibility, _fifo and _differential (with the suite's reference model), joined in
# _contract (QueueContract, AsyncQueueContract). Everything the single module exported
# is importable from here.

from serpens_contract.queue._capabilities import QueueCapabilities
from serpens_contract.queue._contract import AsyncQueueContract, QueueContract
from serpens_contract.queue._support import (
    AsyncContentBasedFifoFactory,
    AsyncQueueFactory,
    ContentBasedFifoFactory,
    QueueFactory,
)

__all__ = [
    "AsyncContentBasedFifoFactory",
    "AsyncQueueContract",
    "AsyncQueueFactory",
    "ContentBasedFifoFactory",
    "QueueCapabilities",
    "QueueContract",
    "QueueFactory",
]
