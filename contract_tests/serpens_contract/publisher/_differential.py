"""The publisher's differential test: random publishes behave like a reference model.

Holds the model (:class:`_ModelPublisher` and its rig), the Hypothesis state machine
comparing it with the publisher under test, and the test that runs it
(:class:`_PublisherDifferentialCases`): the one part of the suite that needs Hypothesis.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from typing import Any

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        precondition,
        rule,
        run_state_machine_as_test,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    from serpens.errors import MissingExtraError

    raise MissingExtraError("hypothesis", "contract") from exc

from serpens.errors import NotFoundError, SerpensError, ValidationError
from serpens.ports import Payload
from serpens_contract.differential import again_when_stalled, observe
from serpens_contract.publisher._rigs import PublisherRig, Received, RigFactory
from serpens_contract.publisher._session import PROJECT
from serpens_contract.settings import hypothesis_settings

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_PAYLOADS = st.one_of(
    st.binary(max_size=16),
    _TEXT,
    st.dictionaries(
        _TEXT, st.one_of(st.integers(-(2**40), 2**40), _TEXT, st.booleans()), max_size=3
    ),
)
_ATTRIBUTES = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["a", "kind", "ç", "", "goog", "topic"]),
        st.one_of(_TEXT, st.integers(-9, 9), st.booleans()),
        max_size=3,
    ),
)


class _ModelPublisher:
    """The suite's reference model of publishing, for the inputs the machine draws.

    Written from Pub/Sub's documented rules and the port's spellings, sharing no code with
    the fake or ``serpens._rules.publisher``, so a failure blames the publisher under
    test, the fake included, and a bug in the shared codec shows up too.
    """

    def __init__(self) -> None:
        self.topics: dict[str, list[Received]] = {}

    @staticmethod
    def _wire(payload: Payload) -> bytes:
        if isinstance(payload, bytes):
            return payload
        if isinstance(payload, str):
            return payload.encode("utf-8")
        return json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=False).encode()

    @staticmethod
    def _spell(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    async def publish(
        self,
        topic: str,
        payload: Payload,
        *,
        attributes: Mapping[str, object] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        if not topic.startswith("projects/") or len(topic.rsplit("/", 1)[-1]) < 3:
            raise ValidationError("malformed topic")
        for key in attributes or {}:
            if not key or key.startswith("goog") or key == "topic":
                raise ValidationError("invalid attribute key")
        data = self._wire(payload)
        if not data and not attributes:
            raise ValidationError("empty message")
        if topic not in self.topics:
            raise NotFoundError("no such topic")
        message_id = uuid.uuid4().hex
        spelled = {k: self._spell(v) for k, v in (attributes or {}).items()}
        self.topics[topic].append(Received(message_id, data, spelled, ordering_key or ""))
        return message_id

    async def close(self) -> None:
        """Nothing to release."""


class _ModelRig:
    """A rig over :class:`_ModelPublisher`."""

    def __init__(self) -> None:
        self.model = _ModelPublisher()
        self.publisher: Any = self.model
        self._seen: dict[str, int] = {}

    def create_topic(self, topic: str) -> None:
        self.model.topics[topic] = []
        self._seen[topic] = 0

    def read(self, topic: str, expected: int) -> list[Received]:
        messages = self.model.topics[topic][self._seen[topic] :]
        self._seen[topic] += len(messages)
        return messages

    def close(self) -> None:
        """Nothing to release."""


class _PublisherMachine(RuleBasedStateMachine):
    """Publishes to the reference model and the implementation; both must agree."""

    def __init__(self, factory: RigFactory) -> None:
        super().__init__()
        namespace = f"d{uuid.uuid4().hex[:12]}"
        self.runner = asyncio.Runner()
        self.model = _ModelRig()
        self.rig = factory(namespace)
        self.topics = [f"projects/{PROJECT}/topics/{namespace}-t{i}" for i in range(2)]
        for rig in (self.model, self.rig):
            for topic in self.topics:
                rig.create_topic(topic)
        self.missing = f"projects/{PROJECT}/topics/{namespace}-missing"
        self.unread: dict[str, int] = dict.fromkeys(self.topics, 0)
        self.ids: set[str] = set()

    def _publish(self, rig: PublisherRig, *args: Any, **kwargs: Any) -> Any:
        return observe(lambda: self.runner.run(rig.publisher.publish(*args, **kwargs)))

    @rule(
        index=st.sampled_from([0, 1, "missing", "malformed"]),
        payload=_PAYLOADS,
        attributes=_ATTRIBUTES,
        ordering_key=st.sampled_from([None, "k1", "k2"]),
    )
    def publish(
        self,
        index: int | str,
        payload: Payload,
        attributes: dict[str, Any] | None,
        ordering_key: str | None,
    ) -> None:
        topic = {"missing": self.missing, "malformed": "projects/p/topics/x"}.get(
            str(index), self.topics[index] if isinstance(index, int) else ""
        )
        options = {"attributes": attributes, "ordering_key": ordering_key}
        expected = self._publish(self.model, topic, payload, **options)
        actual = self._publish(self.rig, topic, payload, **options)
        assert (actual.error, actual.value is None) == (expected.error, expected.value is None), (
            f"publish({topic!r}, {payload!r}, {options}): the publisher under test gave"
            f" {actual}, the suite's reference model {expected}"
        )
        if expected.error is None:
            self.unread[topic] += 1
            assert actual.value not in self.ids, f"id {actual.value!r} was returned twice"
            self.ids.add(actual.value)

    @precondition(lambda self: any(self.unread.values()))
    @rule()
    def read_back(self) -> None:
        for topic, count in self.unread.items():
            expected = self.model.read(topic, count)
            actual = self.rig.read(topic, count)
            assert _delivered(actual) == _delivered(expected), (
                f"{topic}: delivered {_delivered(actual)}, reference model {_delivered(expected)}"
            )
            for key in ("k1", "k2"):
                assert _keyed(actual, key) == _keyed(expected, key), (topic, key)
            self.unread[topic] = 0

    def teardown(self) -> None:
        try:
            self.runner.run(self.rig.publisher.close())
        except SerpensError:  # pragma: no cover - a failing close is reported by its own test
            pass
        finally:
            self.rig.close()
            self.runner.close()


def _delivered(messages: list[Received]) -> list[tuple[bytes, list[tuple[str, str]], str]]:
    return sorted((m.data, sorted(m.attributes.items()), m.ordering_key) for m in messages)


def _keyed(messages: list[Received], key: str) -> list[bytes]:
    return [m.data for m in messages if m.ordering_key == key]


class _PublisherDifferentialCases:
    """The differential test, over two topics and a missing one."""

    def test_differential_against_fake(self, open_publisher: RigFactory) -> None:
        """Random publish sequences succeed, fail and deliver like the reference model.

        The model is the suite's own (not the fake), so the fake's cell tests the fake
        and a shared-codec bug is blamed on every cell.
        """

        class Machine(_PublisherMachine):
            def __init__(self) -> None:
                super().__init__(open_publisher)

        again_when_stalled(
            lambda: run_state_machine_as_test(Machine, settings=hypothesis_settings())
        )
