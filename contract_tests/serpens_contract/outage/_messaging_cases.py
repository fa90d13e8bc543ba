"""Outage cases of the messaging ports: ``QueueOutageCases`` and ``PublisherOutageCases``.

Sends, receives, acknowledgements and publishes raise the outage's serpens error in time,
and messages sent before the outage are delivered after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serpens_contract.capabilities import requires
from serpens_contract.outage._declarations import OutageHook, OutageKind, _OutageCases
from serpens_contract.outage._probe import _down, _ns, _recovers

# --------------------------------------------------------------------------- queue


class QueueOutageCases(_OutageCases):
    """Outage cases of ``QueueContract`` / ``AsyncQueueContract`` (fixture ``open_queue``)."""

    def _strict(self, open_queue: Callable[..., Any], outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        queue = open_queue(_ns(), fifo=False)
        queue.send("before")
        (held,) = queue.receive(max_messages=1, visibility_timeout=30)
        with _down(outage, kind, capabilities) as probe:
            probe.raises("send", lambda: queue.send("during"))
            probe.raises("receive", lambda: queue.receive(max_messages=1))
            probe.raises("change_visibility", lambda: queue.change_visibility(held, 0))
            probe.raises("ack", lambda: queue.ack(held))
        _recovers(lambda: bool(queue.send("after")), capabilities, "send")
        # frozen: a receive held by the freeze may still take messages on thaw, and the
        # frozen ack may have reached the broker (its outcome is unknown to the caller)
        if kind == "frozen":
            return
        # the held message, neither acknowledged nor changed, is released once it is back
        _recovers(lambda: queue.change_visibility(held, 0) is None, capabilities, "release")
        seen: list[str] = []

        def delivered() -> bool:
            seen.extend(m.body for m in queue.receive(max_messages=10, visibility_timeout=30))
            return "before" in seen

        _recovers(delivered, capabilities, "receive of a message sent before the outage")

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility raise in time; messages survive."""
        self._strict(open_queue, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility time out in time; messages survive."""
        self._strict(open_queue, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """Send, receive, ack and change_visibility raise in time; messages survive."""
        self._strict(open_queue, outage, "reset")

    @requires("strict_outage", "outage_trickled")
    def test_a_trickling_backend_ends_a_receive_by_its_deadline(
        self, open_queue: Callable[..., Any], outage: OutageHook
    ) -> None:
        """A large message trickled back: receive raises BackendTimeoutError in time.

        Each read gets data well within a read timeout, so only a deadline on the whole
        call ends it. The message survives.
        """
        capabilities = self.outage_capabilities
        queue = open_queue(_ns(), fifo=False)
        big = "x" * 2000  # 100 s at one byte every 50 ms
        queue.send(big)
        with _down(outage, "trickled", capabilities) as probe:
            probe.raises("receive", lambda: queue.receive(max_messages=1, visibility_timeout=1))

        def delivered() -> bool:
            return any(m.body == big for m in queue.receive(max_messages=10, visibility_timeout=30))

        _recovers(delivered, capabilities, "receive of the large message")


# ----------------------------------------------------------------------- publisher


class PublisherOutageCases(_OutageCases):
    """Outage cases of ``PublisherContract`` (fixture ``session``)."""

    def _strict(self, session: Any, outage: OutageHook, kind: OutageKind) -> None:
        capabilities = self.outage_capabilities
        topic = session.topic()
        session.publisher.publish(topic, b"before")
        with _down(outage, kind, capabilities) as probe:
            probe.raises("publish", lambda: session.publisher.publish(topic, b"during"))
            # an ordered publish too: a client that retries it (Google's SDK does, for ten
            # minutes, unless told not to) or waits without a deadline would hang here
            probe.raises(
                "ordered publish",
                lambda: session.publisher.publish(topic, b"during", ordering_key="k"),
            )
            # and a publish without a key after that ordered one: routed through the
            # ordering-enabled client, Google's SDK would retry it without end as well
            probe.raises(
                "publish after an ordered publish",
                lambda: session.publisher.publish(topic, b"during-again"),
            )
        _recovers(lambda: bool(session.publisher.publish(topic, b"after")), capabilities, "publish")
        _recovers(
            lambda: bool(session.publisher.publish(topic, b"after-ordered", ordering_key="k")),
            capabilities,
            "ordered publish",
        )
        data = {message.data for message in session.rig.read(topic, 3)}
        assert {b"before", b"after", b"after-ordered"} <= data

    @requires("strict_outage", "outage_refused")
    def test_a_refused_backend_raises_unavailable_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendUnavailableError in time; then publishes."""
        self._strict(session, outage, "refused")

    @requires("strict_outage", "outage_frozen")
    def test_a_frozen_backend_raises_timeout_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendTimeoutError in time; then publishes."""
        self._strict(session, outage, "frozen")

    @requires("strict_outage", "outage_reset")
    def test_a_reset_backend_raises_unavailable_in_time(
        self, session: Any, outage: OutageHook
    ) -> None:
        """Publish, ordered or not, raises BackendUnavailableError in time; then publishes."""
        self._strict(session, outage, "reset")
