import pytest

from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig, PublisherContract
from serpens_pubsub import PubSubPublisher  # stands in for your publisher


@pytest.fixture(scope="module")
def emulator_host():
    with InProcessPubSubEmulator() as host:  # or Google's emulator
        yield host


class TestMyPublisher(PublisherContract):
    @pytest.fixture
    def open_publisher(self, emulator_host, monkeypatch):  # namespace -> PublisherRig
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator_host)
        return lambda _namespace: EmulatorRig(PubSubPublisher(timeout=10))
