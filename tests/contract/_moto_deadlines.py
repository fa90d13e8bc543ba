"""The deadlines of the AWS cells: boto3 clients on moto's server through a FaultProxy.

moto serves from a thread of each pytest worker's own process (``ThreadedMotoServer``), so
its answers share that process's interpreter lock with the tests; on a loaded machine (six
workers and CI's other steps on two cores) one DynamoDB write took 2.15 s. The read
timeout leaves room for that; the outage cases wait for it, then allow one more second.
"""

from __future__ import annotations

from botocore.config import Config

from serpens_contract.outage import OutageCapabilities, OutageKind

__all__ = ["MOTO_CONFIG", "READ_TIMEOUT", "moto_outage"]

READ_TIMEOUT = 3.0
# 0.5 s to connect, READ_TIMEOUT for each answer, one attempt
MOTO_CONFIG = Config(
    connect_timeout=0.5, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 1}
)


def moto_outage(kinds: frozenset[OutageKind]) -> OutageCapabilities:
    """The outage cases' bound on moto: the read timeout, and one second of margin."""
    return OutageCapabilities(kinds=kinds, deadline=READ_TIMEOUT, margin=1.0)
