"""Contract suite of the Publisher port (``serpens.ports.Publisher``).

What a publisher sent is read back the way a consumer sees it: through a
subscription (:class:`EmulatorRig` pulls from a Pub/Sub emulator), or through the
fake's record (:class:`FakeRig`). An implementation's author overrides one fixture,
``open_publisher``, returning a callable ``namespace -> rig``.
"""

# The suite, split by theme into private modules of at most 400 lines: _rigs (Received,
# the PublisherRig protocol, FakeRig, EmulatorRig), _session (one test's view of a rig,
# the topic names), the case mixins _encoding, _delivery, _errors and _differential (with
# the suite's reference model), joined in _contract (PublisherContract). Everything the
# single module exported is importable from here.

from serpens_contract.publisher._contract import PublisherCapabilities, PublisherContract
from serpens_contract.publisher._rigs import EmulatorRig, FakeRig, PublisherRig, Received
from serpens_contract.publisher._rigs import RigFactory as RigFactory
from serpens_contract.publisher._session import PROJECT as PROJECT

__all__ = [
    "EmulatorRig",
    "FakeRig",
    "PublisherCapabilities",
    "PublisherContract",
    "PublisherRig",
    "Received",
]
