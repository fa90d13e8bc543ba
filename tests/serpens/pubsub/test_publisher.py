"""serpens.pubsub over the in-process emulator: the real client on a real wire."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from serpens.errors import (
    BackendUnavailableError,
    ConfigurationError,
    NotFoundError,
    SerializationError,
    ValidationError,
)
from serpens.pubsub import AsyncPublisher, publish_message, publish_message_batch
from serpens_contract import EmulatorRig


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


class TestAsyncPublisher:
    async def test_publish_returns_the_id_the_subscriber_receives(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        async with AsyncPublisher(timeout=5) as publisher:
            message_id = await publisher.publish(
                topic, {"order": 1}, attributes={"kind": "created", "n": 2}, ordering_key="o-1"
            )
        (got,) = rig.read(topic, 1)
        assert got.message_id == message_id
        assert json.loads(got.data) == {"order": 1}
        assert got.attributes == {"kind": "created", "n": "2"}
        assert got.ordering_key == "o-1"

    async def test_bad_input_fails_before_a_client_exists(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", _closed_port())
        publisher = AsyncPublisher(timeout=5)
        with pytest.raises(ValidationError, match="projects/<project>/topics/<name>"):
            await publisher.publish("orders", {"id": 1})
        with pytest.raises(SerializationError):
            await publisher.publish("projects/p/topics/orders", {"x": object()})
        assert publisher._clients is None  # not even the SDK wrapper was built
        publisher.close()

    async def test_concurrent_publishes_all_arrive_once(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        async with AsyncPublisher(timeout=5) as publisher:
            ids = await asyncio.gather(*(publisher.publish(topic, f"m{i}") for i in range(200)))
        got = rig.read(topic, 200)
        assert sorted(m.message_id for m in got) == sorted(ids)
        assert len(set(ids)) == 200

    async def test_close_flushes_publishes_still_in_flight(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        publisher = AsyncPublisher(timeout=5)
        await publisher.publish(topic, "warm-up")
        tasks = [asyncio.ensure_future(publisher.publish(topic, f"m{i}")) for i in range(20)]
        await asyncio.sleep(0)  # every task has handed its message to the SDK
        await publisher.aclose()
        assert len(await asyncio.gather(*tasks)) == 20
        assert len(rig.read(topic, 21)) == 21
        with pytest.raises(ConfigurationError, match="closed"):
            await publisher.publish(topic, "late")

    async def test_a_missing_topic_is_not_found(self, rig: EmulatorRig) -> None:
        async with AsyncPublisher(timeout=5) as publisher:
            with pytest.raises(NotFoundError, match="does not exist"):
                await publisher.publish("projects/serpens-test/topics/never-created", "x")

    def test_the_timeout_comes_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PUBSUB_PUBLISH_TIMEOUT", "2.5")
        assert AsyncPublisher().timeout == 2.5
        assert AsyncPublisher(timeout=1).timeout == 1.0
        monkeypatch.setenv("PUBSUB_PUBLISH_TIMEOUT", "soon")
        with pytest.raises(ConfigurationError, match="PUBSUB_PUBLISH_TIMEOUT"):
            AsyncPublisher()
        with pytest.raises(ConfigurationError, match="timeout"):
            AsyncPublisher(timeout=0)


class TestSyncHelpers:
    def test_publish_message_waits_for_the_id(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        message_id = publish_message(topic, "hello", attributes={"k": "v"}, timeout=5)
        (got,) = rig.read(topic, 1)
        assert (got.message_id, got.data, got.attributes) == (message_id, b"hello", {"k": "v"})

    def test_the_batch_returns_ids_in_input_order(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        messages = [{"body": {"n": i}} for i in range(30)]
        ids = publish_message_batch(topic, messages, ordering_key="k")
        got = rig.read(topic, 30)
        assert [m.message_id for m in got] == ids
        assert [json.loads(m.data)["n"] for m in got] == list(range(30))

    def test_one_bad_payload_publishes_nothing(
        self, rig: EmulatorRig, new_topic: Callable[[], str]
    ) -> None:
        topic = new_topic()
        with pytest.raises(SerializationError):
            publish_message_batch(topic, ["ok", {"body": {"x": object()}}, "ok"])
        with pytest.raises(ValidationError, match=r"messages\[1\]"):
            publish_message_batch(topic, ["ok", 42, "ok"])  # type: ignore[list-item]
        assert rig.read(topic, 0) == []

    def test_a_missing_topic_is_not_found_and_notes_what_was_published(
        self, rig: EmulatorRig
    ) -> None:
        with pytest.raises(NotFoundError) as caught:
            publish_message_batch("projects/serpens-test/topics/never-created", ["a", "b"])
        assert caught.value.__notes__ == ["0 of 2 messages were published: []"]

    def test_an_unreachable_broker_is_a_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", _closed_port())
        with pytest.raises(BackendUnavailableError, match="gave up"):
            publish_message("projects/serpens-test/topics/orders", "x", timeout=0.5)


def test_without_the_gcp_extra_publishing_names_it() -> None:
    code = """
import asyncio, importlib.abc, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"google", "grpc"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Blocker())
from serpens.pubsub import AsyncPublisher
try:
    asyncio.run(AsyncPublisher().publish("projects/p/topics/orders", "x"))
except ImportError as exc:
    print(exc)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'serpens[gcp]'" in result.stdout


def test_missing_google_credentials_are_a_configuration_error(tmp_path: Path) -> None:
    code = """
import asyncio
from serpens.errors import ConfigurationError
from serpens.pubsub import AsyncPublisher, publish_message

async def main():
    try:
        await AsyncPublisher(timeout=2).publish("projects/p-1/topics/orders", "x")
    except ConfigurationError as exc:
        print("async:", exc)

asyncio.run(main())
try:
    publish_message("projects/p-1/topics/orders", "x", timeout=2)
except ConfigurationError as exc:
    print("sync:", exc)
"""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PUBSUB_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS"}
    }
    # no gcloud config, no metadata server: nowhere to find credentials
    env |= {"CLOUDSDK_CONFIG": str(tmp_path), "NO_GCE_CHECK": "true"}
    env |= {"GCE_METADATA_HOST": _closed_port(), "GCE_METADATA_IP": _closed_port()}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    lines = result.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["async", "sync"], result.stderr
    assert all("GOOGLE_APPLICATION_CREDENTIALS" in line for line in lines)
