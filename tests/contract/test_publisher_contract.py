"""The Publisher contract against the fake, and the Pub/Sub adapter over both emulators.

The adapter runs over serpens' in-process emulator and over Google's own emulator, so
the in-process emulator is itself held to what Google's does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest

from serpens.fakes import InMemoryPublisher
from serpens.testing import FaultProxy, PubSubEmulator
from serpens.testing._pubsub import GCLOUD_EMULATOR
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig, FakeRig, PublisherContract, PublisherRig
from serpens_contract.outage import (
    ALL_KINDS,
    FakeOutages,
    OutageCapabilities,
    OutageHook,
    proxy_outage,
)
from serpens_pubsub import PubSubPublisher

pytestmark = pytest.mark.pubsub


@pytest.fixture(name="inproc_pubsub_host", scope="module")
def _inproc_pubsub_host() -> Iterator[str]:
    with InProcessPubSubEmulator() as host:
        yield host


def test_the_session_emulator_is_googles_where_it_is_installed(
    pubsub_emulator: PubSubEmulator,
) -> None:
    """The Google-emulator class below really runs against gcloud's emulator here."""
    installed = GCLOUD_EMULATOR.is_file() and shutil.which("java") is not None
    forced = os.environ.get("SERPENS_TEST_PUBSUB_TIER")
    assert pubsub_emulator.tier != "inproc" or not installed or forced == "inproc"


class TestInMemoryPublisher(PublisherContract):
    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS, deadline=0.0)

    @pytest.fixture
    def open_publisher(self, fake_outages: FakeOutages) -> Callable[[str], PublisherRig]:
        return lambda namespace: FakeRig(fake_outages.track(InMemoryPublisher(topics=())))

    @pytest.fixture
    def outage(self, fake_outages: FakeOutages) -> OutageHook:
        return fake_outages.outage


@pytest.fixture(name="pubsub_proxy")
def _pubsub_proxy(inproc_pubsub_host: str) -> Iterator[FaultProxy]:
    host, port = inproc_pubsub_host.rsplit(":", 1)
    with FaultProxy(upstream=(host, int(port))) as proxy:
        yield proxy


class TestPubSubPublisherOnInProcessEmulator(PublisherContract):
    """gRPC through a FaultProxy; a publish may take 2 s, retries included."""

    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS, deadline=2.0)

    @pytest.fixture
    def open_publisher(
        self, pubsub_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
    ) -> Callable[[str], PublisherRig]:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"{pubsub_proxy.host}:{pubsub_proxy.port}")
        return lambda namespace: EmulatorRig(PubSubPublisher(timeout=2))

    @pytest.fixture
    def outage(self, pubsub_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(pubsub_proxy)


@pytest.fixture(name="gcloud_pubsub_proxy")
def _gcloud_pubsub_proxy(pubsub_emulator_host: str) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the session's emulator (gcloud's where it is installed)."""
    host, port = pubsub_emulator_host.rsplit(":", 1)
    with FaultProxy(upstream=(host, int(port))) as proxy:
        yield proxy


class TestPubSubPublisherOnGoogleEmulator(PublisherContract):
    """gRPC through a FaultProxy in front of gcloud's emulator; a publish may take 2 s."""

    outage_capabilities = OutageCapabilities(kinds=ALL_KINDS, deadline=2.0)

    @pytest.fixture
    def open_publisher(
        self, gcloud_pubsub_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
    ) -> Callable[[str], PublisherRig]:
        proxy = gcloud_pubsub_proxy
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"{proxy.host}:{proxy.port}")
        return lambda namespace: EmulatorRig(PubSubPublisher(timeout=2))

    @pytest.fixture
    def outage(self, gcloud_pubsub_proxy: FaultProxy) -> OutageHook:
        return proxy_outage(gcloud_pubsub_proxy)
