"""An in-process Pub/Sub emulator per module and a rig reading its topics back (fixtures).

Import both names into a test module or a ``conftest.py`` to use them there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig

__all__ = ["_emulator", "_rig"]


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
