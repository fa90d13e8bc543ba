"""The exact wording of the in-memory outbox store's errors, and of the relay's.

A staged message's ordering key, limits, leases, delays, claims, a lost claim, the relay's
own arguments and an outage.

See ``_error_cases`` for what the golden table pins and how its texts were taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serpens.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    LeaseLostError,
    ValidationError,
)
from serpens.fakes import (
    InMemoryDatabase,
    InMemoryOutbox,
    InMemoryOutboxStore,
    InMemoryPublisher,
    InMemorySession,
)
from serpens.outbox import relay, run_relay
from serpens.ports import OutboxMessage
from tests.serpens.fakes.error_messages._error_cases import _down, _observed, _untyped

_SECONDS = "and at most 31,622,400 seconds, got"
_ONE = OutboxMessage(1, "k" * 32, "projects/p/topics/abc", b"x", token=1)
_LIST = "must be a sequence of at most 1,000 OutboxMessages, got"
_NOT_A_CLAIM = "must be an OutboxMessage a store claimed, got"


def _store() -> InMemoryOutboxStore:
    return InMemoryOutboxStore(InMemoryDatabase())


OUTBOX_CASES = [
    pytest.param(
        lambda: InMemoryOutbox(InMemorySession()).put(
            "projects/p/topics/abc", "x", ordering_key="a\x00b"
        ),
        ValidationError,
        "invalid outbox ordering_key: ordering_key: the outbox cannot store a NUL character"
        " in a key",
        [("ordering_key", "the outbox cannot store a NUL character in a key")],
        id="put-ordering-key-with-nul",
    ),
    pytest.param(
        lambda: _store().claim(limit=0),
        ValidationError,
        "invalid outbox limit: limit: must be an int from 1 to 1,000, got 0",
        [("limit", "must be an int from 1 to 1,000, got 0")],
        id="claim-limit-zero",
    ),
    pytest.param(
        lambda: _store().claim(limit=_untyped(True)),
        ValidationError,
        "invalid outbox limit: limit: must be an int from 1 to 1,000, got True",
        [("limit", "must be an int from 1 to 1,000, got True")],
        id="claim-limit-a-bool",
    ),
    pytest.param(
        lambda: _store().claim(lease=0),
        ValidationError,
        f"invalid outbox lease: lease: must be > 0 {_SECONDS} 0",
        [("lease", f"must be > 0 {_SECONDS} 0")],
        id="claim-lease-zero",
    ),
    pytest.param(
        lambda: _store().claim(lease=10**9),
        ValidationError,
        f"invalid outbox lease: lease: must be > 0 {_SECONDS} 1000000000",
        [("lease", f"must be > 0 {_SECONDS} 1000000000")],
        id="claim-lease-too-long",
    ),
    pytest.param(
        lambda: _store().retry(_ONE, after=-1),
        ValidationError,
        f"invalid outbox after: after: must be >= 0 {_SECONDS} -1",
        [("after", f"must be >= 0 {_SECONDS} -1")],
        id="retry-after-negative",
    ),
    pytest.param(
        lambda: _store().delivered(_untyped(None)),
        ValidationError,
        f"invalid outbox message: message: {_NOT_A_CLAIM} None",
        [("message", f"{_NOT_A_CLAIM} None")],
        id="delivered-not-a-message",
    ),
    pytest.param(
        lambda: _store().delivered(_ONE),
        LeaseLostError,
        f"the claim of outbox message 1 ({'k' * 32}) no longer holds: its lease ended or it "
        "was settled; the message is, or will be, claimed again",
        [],
        id="delivered-lease-lost",
    ),
    pytest.param(
        lambda: _store().delivered_many(_untyped({1})),
        ValidationError,
        f"invalid outbox messages: messages: {_LIST} set",
        [("messages", f"{_LIST} set")],
        id="delivered-many-a-set",
    ),
    pytest.param(
        lambda: _store().delivered_many([_ONE] * 1001),
        ValidationError,
        f"invalid outbox messages: messages: {_LIST} list of 1,001",
        [("messages", f"{_LIST} list of 1,001")],
        id="delivered-many-too-many",
    ),
    pytest.param(
        lambda: _store().delivered_many([_ONE, _untyped(3)]),
        ValidationError,
        f"invalid outbox message: message: {_NOT_A_CLAIM} 3",
        [("message", f"{_NOT_A_CLAIM} 3")],
        id="delivered-many-not-a-message",
    ),
    pytest.param(
        lambda: _down(_store()).claim(),
        BackendUnavailableError,
        "InMemoryOutboxStore: simulated outage, the backend is unreachable",
        [],
        id="claim-outage",
    ),
    pytest.param(
        lambda: _down(_store(), timeout=True).pending(),
        BackendTimeoutError,
        "InMemoryOutboxStore: simulated outage, the backend did not answer",
        [],
        id="pending-outage-timeout",
    ),
    pytest.param(
        lambda: relay(_store(), InMemoryPublisher(), backoff=-1, max_backoff=float("inf")),
        ValidationError,
        "invalid outbox relay: backoff: must be a number of seconds >= 0 and at most "
        "31,622,400, got -1; "
        "max_backoff: must be a number of seconds >= 0 and at most 31,622,400, got inf",
        [
            ("backoff", "must be a number of seconds >= 0 and at most 31,622,400, got -1"),
            ("max_backoff", "must be a number of seconds >= 0 and at most 31,622,400, got inf"),
        ],
        id="relay-backoffs",
    ),
    pytest.param(
        lambda: relay(_store(), InMemoryPublisher(), backoff=5, max_backoff=1),
        ValidationError,
        "invalid outbox relay: max_backoff: must be at least backoff (5)",
        [("max_backoff", "must be at least backoff (5)")],
        id="relay-max-backoff-below-backoff",
    ),
    pytest.param(
        lambda: relay(_store(), InMemoryPublisher(), key_attribute="googkey"),
        ValidationError,
        "invalid outbox relay: key_attribute: keys are non-empty str not starting 'goog'",
        [("key_attribute", "keys are non-empty str not starting 'goog'")],
        id="relay-key-attribute-reserved",
    ),
    pytest.param(
        lambda: relay(_store(), InMemoryPublisher(), backoff=-1, key_attribute=""),
        ValidationError,
        "invalid outbox relay: backoff: must be a number of seconds >= 0 and at most "
        "31,622,400, got -1; "
        "key_attribute: keys are non-empty str not starting 'goog'",
        [
            ("backoff", "must be a number of seconds >= 0 and at most 31,622,400, got -1"),
            ("key_attribute", "keys are non-empty str not starting 'goog'"),
        ],
        id="relay-every-bad-argument-named",
    ),
    pytest.param(
        lambda: run_relay(_store(), InMemoryPublisher(), poll=0),
        ValidationError,
        "invalid outbox relay: poll: must be a number of seconds > 0 and at most 31,622,400, got 0",
        [("poll", "must be a number of seconds > 0 and at most 31,622,400, got 0")],
        id="run-relay-poll-zero",
    ),
]


class TestInMemoryErrorMessages:
    """Each of serpens' own messages, word for word, with its type and field errors."""

    @pytest.mark.parametrize(("call", "error", "message", "fields"), OUTBOX_CASES)
    async def test_message(
        self,
        call: Callable[[], object],
        error: type[Exception],
        message: str,
        fields: list[tuple[str, str]],
    ) -> None:
        """The call raises exactly *error* (not a subclass) reading exactly *message*."""
        assert await _observed(call) == (error, message, fields)
