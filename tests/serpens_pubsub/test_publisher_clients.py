"""The Pub/Sub adapter's client pair: one gRPC channel released by close, futures not kept
once settled, the topic named in errors, and the untraced path (no opentelemetry).

None is a port promise a fake could keep (a fake has no channel, no SDK futures and no
tracing branch), so these are adapter tests on the in-process emulator; they kill
mutants of ``serpens_pubsub/_publisher.py`` the contract cells let through.
"""

from __future__ import annotations

import asyncio
import gc
import re
import socket
import time
import uuid
import weakref
from collections.abc import Iterator

import pytest

from serpens._rules.publisher import prepare
from serpens.errors import BackendUnavailableError, NotFoundError
from serpens.pubsub import AsyncPublisher, publish_message
from serpens.testing import FaultProxy
from serpens.testing.pubsub_emulator import InProcessPubSubEmulator
from serpens_contract import EmulatorRig
from serpens_pubsub import PubSubPublisher
from serpens_pubsub._publisher import PublisherClients
from tests._pubsub_rig import _emulator, _rig

__all__ = ["_emulator", "_rig"]

pytestmark = pytest.mark.pubsub


def _topic(rig: EmulatorRig) -> str:
    topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
    rig.create_topic(topic)
    return topic


@pytest.fixture(name="proxy")
def _proxy(
    emulator: InProcessPubSubEmulator, rig: EmulatorRig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """A proxy in front of the emulator; clients built from now on connect through it.

    The rig's own clients already exist and talk to the emulator directly, so the
    proxy's counters see the publisher's connections only.
    """
    host, port = emulator.host.rsplit(":", 1)
    with FaultProxy(upstream=(host, int(port))) as proxy:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"{proxy.host}:{proxy.port}")
        yield proxy


def _until_no_connection_is_open(proxy: FaultProxy, seconds: float = 10.0) -> int:
    """The proxy's open connections once none is left, or after *seconds*."""
    deadline = time.monotonic() + seconds
    while proxy.stats().open and time.monotonic() < deadline:
        time.sleep(0.02)
    return proxy.stats().open


async def test_ordered_and_unordered_publishes_share_one_channel_that_close_releases(
    rig: EmulatorRig, proxy: FaultProxy
) -> None:
    """The ordered client rides the plain client's channel: one connection, closed by close()."""
    topic = _topic(rig)
    publisher = PubSubPublisher(timeout=5)
    plain = await publisher.publish(topic, "plain")
    ordered = await publisher.publish(topic, "ordered", ordering_key="k")
    again = await publisher.publish(topic, "plain again")
    assert proxy.stats().accepted == 1
    await publisher.close()
    assert _until_no_connection_is_open(proxy) == 0
    got = rig.read(topic, 3)
    assert sorted((m.data, m.ordering_key, m.message_id) for m in got) == sorted(
        [(b"plain", "", plain), (b"ordered", "k", ordered), (b"plain again", "", again)]
    )


@pytest.mark.usefixtures("untraced")
async def test_without_opentelemetry_publishes_go_out_whole(rig: EmulatorRig) -> None:
    """Adapter, ``AsyncPublisher`` and ``publish_message``: data, attributes, key, ids."""
    topic = _topic(rig)
    async with PubSubPublisher(timeout=5) as adapter:
        first = await adapter.publish(topic, "adapter", attributes={"k": "v"})
        keyed = await adapter.publish(topic, "keyed", attributes={"n": "1"}, ordering_key="o")
    async with AsyncPublisher(timeout=5) as publisher:
        toolkit = await publisher.publish(topic, {"a": 1}, attributes={"kind": "json"})
    helper = publish_message(topic, "helper", "h", {"x": "y"}, timeout=5)
    got = {m.message_id: (m.data, dict(m.attributes), m.ordering_key) for m in rig.read(topic, 4)}
    assert got == {
        first: (b"adapter", {"k": "v"}, ""),
        keyed: (b"keyed", {"n": "1"}, "o"),
        toolkit: (b'{"a":1}', {"kind": "json"}, ""),
        helper: (b"helper", {"x": "y"}, "h"),
    }


@pytest.mark.usefixtures("untraced")
def test_without_opentelemetry_the_helper_keeps_its_own_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``publish_message(timeout=1)`` to a refused broker gives up after its 1 s, not 60 s.

    The helper's process-wide clients are built with the 60 s default; a per-call timeout
    dropped on the way to the SDK would retry until the helper's wait ran out instead.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", closed)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="gave up"):
        publish_message("projects/serpens-test/topics/refused", "x", timeout=1)
    assert time.monotonic() - started < 4


async def test_a_missing_topic_is_named_in_the_error(rig: EmulatorRig) -> None:
    """The error names the topic and the SDK's error (kind and message), never the payload."""
    missing = f"projects/serpens-test/topics/gone{uuid.uuid4().hex[:8]}"
    async with PubSubPublisher(timeout=5) as publisher:
        with pytest.raises(NotFoundError, match=re.escape(missing)) as raised:
            await publisher.publish(missing, "secret payload")
    assert str(raised.value) == f"topic {missing} does not exist: NotFound: Topic not found"


async def test_finished_publishes_are_not_kept_by_the_clients(rig: EmulatorRig) -> None:
    """Each future is held only until it settles: a long-lived publisher does not grow.

    close() waits for the publishes still in flight; a future kept after it settled
    would be held for the life of the process.
    """
    topic = _topic(rig)
    clients = PublisherClients(timeout=5)
    await asyncio.to_thread(clients.warm)
    futures = [clients.submit(prepare(topic, f"m{i}", None, None)) for i in range(5)]
    futures.append(clients.submit(prepare(topic, "keyed", None, "k")))
    ids = [await asyncio.wrap_future(future) for future in futures]
    settled = [weakref.ref(future) for future in futures]
    del futures
    # the SDK's threads may hold a future a moment longer, while they finish its callbacks
    deadline = time.monotonic() + 5
    while (alive := [r for r in settled if r() is not None]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        gc.collect()
    await asyncio.to_thread(clients.close)
    assert alive == []
    assert sorted(m.message_id for m in rig.read(topic, 6)) == sorted(ids)


async def test_a_shared_publisher_gets_every_option_and_builds_nothing_of_the_adapter(
    rig: EmulatorRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attributes and ordering key reach the shared publisher; the adapter's own timeout
    setting is not read (``PUBSUB_PUBLISH_TIMEOUT`` is for clients the adapter builds)."""
    topic = _topic(rig)
    async with AsyncPublisher(timeout=5) as shared:
        monkeypatch.setenv("PUBSUB_PUBLISH_TIMEOUT", "soon")
        async with PubSubPublisher(shared) as adapter:
            plain = await adapter.publish(topic, "plain", attributes={"k": "v"})
            keyed = await adapter.publish(topic, "keyed", ordering_key="o")
    got = {m.message_id: (m.data, dict(m.attributes), m.ordering_key) for m in rig.read(topic, 2)}
    assert got == {plain: (b"plain", {"k": "v"}, ""), keyed: (b"keyed", {}, "o")}
