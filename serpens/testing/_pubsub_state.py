"""The broker state of the in-process Pub/Sub emulator: topics, subscriptions, leases.

Pure Python over the raw protobuf messages shipped in google-cloud-pubsub; the gRPC
servicer in :mod:`serpens.testing.pubsub_emulator` translates :class:`BrokerError` into
gRPC status codes. One lock guards everything; a condition wakes waiting pulls.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Broker", "BrokerError"]

_DEFAULT_ACK_DEADLINE = 10
_MAX_ACK_DEADLINE = 600
_NAME = r"[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}"
_TOPIC = re.compile(rf"projects/[^/\s]+/topics/({_NAME})")
_SUBSCRIPTION = re.compile(rf"projects/[^/\s]+/subscriptions/({_NAME})")


class BrokerError(Exception):
    """A request the real service refuses; *code* is a ``grpc.StatusCode`` name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _check_name(pattern: re.Pattern[str], name: str, kind: str) -> None:
    match = pattern.fullmatch(name)
    if match is None or match[1].lower().startswith("goog"):
        raise BrokerError("INVALID_ARGUMENT", f"Invalid [{kind}] name: (name={name})")


@dataclass
class _Entry:
    seq: int
    message: Any  # a raw google.pubsub.v1.PubsubMessage
    attempts: int = 0


@dataclass
class _Subscription:
    proto: Any  # a raw google.pubsub.v1.Subscription
    backlog: dict[int, _Entry] = field(default_factory=dict)  # seq -> entry, publish order
    leases: dict[str, tuple[_Entry, float]] = field(default_factory=dict)  # ack id -> lease

    @property
    def ordered(self) -> bool:
        return bool(self.proto.enable_message_ordering)


class Broker:
    """Topics and subscriptions with at-least-once delivery and ack deadlines."""

    def __init__(self, types: Any) -> None:
        self._types = types  # module with the raw protobuf classes (see pubsub_emulator)
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._topics: dict[str, Any] = {}
        self._subscriptions: dict[str, _Subscription] = {}
        self._message_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._ack_ids = itertools.count(1)

    # topics -------------------------------------------------------------------------
    def create_topic(self, topic: Any) -> Any:
        _check_name(_TOPIC, topic.name, "topics")
        with self._lock:
            if topic.name in self._topics:
                raise BrokerError("ALREADY_EXISTS", "Topic already exists")
            self._topics[topic.name] = topic
            return topic

    def get_topic(self, name: str) -> Any:
        with self._lock:
            return self._topic(name)

    def _topic(self, name: str) -> Any:
        topic = self._topics.get(name)
        if topic is None:
            raise BrokerError("NOT_FOUND", "Topic not found")
        return topic

    def delete_topic(self, name: str) -> None:
        with self._lock:
            self._topic(name)
            del self._topics[name]
            for sub in self._subscriptions.values():
                if sub.proto.topic == name:
                    sub.proto.topic = "_deleted-topic_"

    def publish(self, topic: str, messages: Any) -> list[str]:
        if not messages:
            raise BrokerError("INVALID_ARGUMENT", "No messages specified")
        if any(not m.data and not m.attributes for m in messages):
            raise BrokerError("INVALID_ARGUMENT", "Some messages are empty")
        with self.changed:
            self._topic(topic)
            targets = [s for s in self._subscriptions.values() if s.proto.topic == topic]
            ids = []
            for incoming in messages:
                message = self._types.PubsubMessage()
                message.CopyFrom(incoming)
                message.message_id = str(next(self._message_ids))
                message.publish_time.GetCurrentTime()
                ids.append(message.message_id)
                seq = next(self._seq)
                for sub in targets:
                    sub.backlog[seq] = _Entry(seq, message)
            self.changed.notify_all()
            return ids

    # subscriptions --------------------------------------------------------------------
    def create_subscription(self, proto: Any) -> Any:
        _check_name(_SUBSCRIPTION, proto.name, "subscriptions")
        deadline = proto.ack_deadline_seconds or _DEFAULT_ACK_DEADLINE
        if not _DEFAULT_ACK_DEADLINE <= deadline <= _MAX_ACK_DEADLINE:
            raise BrokerError("INVALID_ARGUMENT", "Invalid ack deadline given")
        with self._lock:
            if proto.name in self._subscriptions:
                raise BrokerError("ALREADY_EXISTS", "Subscription already exists")
            if proto.topic not in self._topics:
                raise BrokerError("NOT_FOUND", "Subscription topic does not exist")
            proto.ack_deadline_seconds = deadline
            self._subscriptions[proto.name] = _Subscription(proto)
            return proto

    def _subscription(self, name: str) -> _Subscription:
        sub = self._subscriptions.get(name)
        if sub is None:
            raise BrokerError("NOT_FOUND", "Subscription does not exist")
        return sub

    def get_subscription(self, name: str) -> Any:
        with self._lock:
            return self._subscription(name).proto

    def delete_subscription(self, name: str) -> None:
        with self._lock:
            self._subscription(name)
            del self._subscriptions[name]

    def check_subscription(self, name: str) -> int:
        """Raise NOT_FOUND for an unknown subscription; return its ack deadline."""
        with self._lock:
            return int(self._subscription(name).proto.ack_deadline_seconds)

    # delivery -------------------------------------------------------------------------
    def take(self, name: str, max_messages: int, lease: float | None = None) -> list[Any]:
        """Lease up to *max_messages* deliverable messages; the caller holds ``changed``."""
        sub = self._subscription(name)
        now = time.monotonic()
        for ack_id, (entry, expires) in list(sub.leases.items()):
            if expires <= now:  # the lease ran out: deliver again
                del sub.leases[ack_id]
                sub.backlog[entry.seq] = entry
        busy_keys = {e.message.ordering_key for e, _ in sub.leases.values() if sub.ordered}
        seconds = float(lease or sub.proto.ack_deadline_seconds)
        received: list[Any] = []
        for seq in sorted(sub.backlog):
            if len(received) >= max_messages:
                break
            entry = sub.backlog[seq]
            key = entry.message.ordering_key
            if key and key in busy_keys:
                continue
            del sub.backlog[seq]
            entry.attempts += 1
            ack_id = f"{name}:{next(self._ack_ids)}"
            sub.leases[ack_id] = (entry, now + seconds)
            received.append(self._types.ReceivedMessage(ack_id=ack_id, message=entry.message))
        return received

    def leased(self, name: str) -> set[str]:
        """Ack ids of *name* delivered and neither acknowledged, nacked nor expired."""
        with self._lock:
            now = time.monotonic()
            return {
                a for a, (_, expires) in self._subscription(name).leases.items() if expires > now
            }

    def acknowledge(self, name: str, ack_ids: Any) -> None:
        with self.changed:
            sub = self._subscription(name)
            for ack_id in ack_ids:
                sub.leases.pop(ack_id, None)
            self.changed.notify_all()

    def modify_ack_deadline(self, name: str, ack_ids: Any, seconds: int) -> None:
        if not 0 <= seconds <= _MAX_ACK_DEADLINE:
            raise BrokerError("INVALID_ARGUMENT", f"Invalid ack deadline given: {seconds}")
        with self.changed:
            sub = self._subscription(name)
            for ack_id in ack_ids:
                if not ack_id.startswith(f"{name}:"):
                    raise BrokerError("INVALID_ARGUMENT", f"Invalid ack id (ack_id={ack_id})")
                lease = sub.leases.get(ack_id)
                if lease is None:
                    continue  # acknowledged or expired already: nothing to extend
                if seconds == 0:
                    del sub.leases[ack_id]
                    sub.backlog[lease[0].seq] = lease[0]
                else:
                    sub.leases[ack_id] = (lease[0], time.monotonic() + seconds)
            self.changed.notify_all()
