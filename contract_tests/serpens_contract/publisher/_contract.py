"""``PublisherContract``: the suite every :class:`~serpens.ports.Publisher` must pass.

The suite holds its capabilities, the fixtures (``open_publisher``, overridden by an
implementation, and ``session``) and joins the case mixins, one per theme.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest

from serpens_contract._suite import ContractSuite
from serpens_contract.outage import PublisherOutageCases
from serpens_contract.publisher._delivery import _PublisherDeliveryCases
from serpens_contract.publisher._differential import _PublisherDifferentialCases
from serpens_contract.publisher._encoding import _PublisherEncodingCases
from serpens_contract.publisher._errors import _PublisherErrorCases
from serpens_contract.publisher._rigs import RigFactory
from serpens_contract.publisher._session import _Session


@dataclass(frozen=True)
class PublisherCapabilities:
    """Honest differences between publishers (none are known today)."""


# pytest collects a class's bases last-first: listed so that the tests run in the order
# encoding, delivery, errors, differential.
class PublisherContract(
    _PublisherDifferentialCases,
    _PublisherErrorCases,
    _PublisherDeliveryCases,
    _PublisherEncodingCases,
    PublisherOutageCases,
    ContractSuite,
):
    """Every Publisher must pass these tests.

    Override ``open_publisher`` to return a callable ``namespace -> PublisherRig``; the
    suite names its topics ``projects/serpens-contract/topics/<namespace>-<name>`` and
    creates them through the rig before publishing.
    """

    contract = "publisher"
    capabilities: ClassVar[PublisherCapabilities] = PublisherCapabilities()

    @pytest.fixture
    def open_publisher(self) -> RigFactory:
        pytest.fail("override `open_publisher`: return a callable namespace -> PublisherRig")

    @pytest.fixture
    def session(self, open_publisher: RigFactory) -> Iterator[_Session]:
        namespace = f"c{uuid.uuid4().hex[:12]}"
        with asyncio.Runner() as runner:
            rig = open_publisher(namespace)
            try:
                yield _Session(rig, runner, namespace)
            finally:
                runner.run(rig.publisher.close())
                rig.close()
