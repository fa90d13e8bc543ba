"""An in-process Pub/Sub emulator per module, and a rig that reads topics back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig


@pytest.fixture(name="emulator", scope="module")
def _emulator() -> Iterator[InProcessPubSubEmulator]:
    emulator = InProcessPubSubEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(name="rig")
def _rig(
    emulator: InProcessPubSubEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EmulatorRig]:
    """Clients created during the test talk to this module's emulator."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
    rig = EmulatorRig(publisher=None)  # type: ignore[arg-type]  # only the read-back is used
    yield rig
    rig.close()


@pytest.fixture(name="new_topic")
def _new_topic(rig: EmulatorRig) -> Callable[[], str]:
    def create() -> str:
        topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
        rig.create_topic(topic)
        return topic

    return create
