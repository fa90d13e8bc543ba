"""An in-process Pub/Sub emulator per module, and a rig that reads topics back."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from serpens_contract import EmulatorRig
from tests._pubsub_rig import _emulator, _rig

__all__ = ["_emulator", "_rig"]


@pytest.fixture(name="new_topic")
def _new_topic(rig: EmulatorRig) -> Callable[[], str]:
    def create() -> str:
        topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
        rig.create_topic(topic)
        return topic

    return create
