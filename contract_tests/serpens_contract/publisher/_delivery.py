"""Publisher cases about delivery: message ids, exactly one delivery, ordering keys.

One theme of :class:`~serpens_contract.publisher.PublisherContract`.
"""

from __future__ import annotations

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens_contract._cancels import cancels_not_honoured
from serpens_contract.publisher._session import _Session


class _PublisherDeliveryCases:
    """Each publish is delivered once under its returned id; an ordering key keeps order."""

    def test_returned_ids_are_unique_and_are_the_delivered_ids(self, session: _Session) -> None:
        """Pins: the returned id is unique per published message."""
        topic = session.topic()
        ids = [session.publisher.publish(topic, f"m{i}") for i in range(5)]
        ids += session.publish_all(topic, [f"c{i}" for i in range(5)])
        got = session.rig.read(topic, 10)
        assert len(set(ids)) == 10
        assert sorted(m.message_id for m in got) == sorted(ids)

    def test_each_publish_is_delivered_once(self, session: _Session) -> None:
        """At-least-once, and a successful publish is not duplicated by the publisher."""
        topic = session.topic()
        sent = session.publish_all(topic, [f"m{i}" for i in range(20)])
        got = session.rig.read(topic, 20)
        assert sorted(m.message_id for m in got) == sorted(sent)

    def test_same_ordering_key_is_delivered_in_publish_order(self, session: _Session) -> None:
        """Pins: Messages with the same ordering_key are delivered in publish order."""
        topic = session.topic()
        for i in range(5):
            session.publisher.publish(topic, f"a{i}", ordering_key="alpha")
        session.publish_all(topic, [f"b{i}" for i in range(10)], ordering_key="beta")
        session.publisher.publish(topic, "unordered")
        got = session.rig.read(topic, 16)
        for key, prefix, count in [("alpha", "a", 5), ("beta", "b", 10)]:
            keyed = [m.data.decode() for m in got if m.ordering_key == key]
            assert keyed == [f"{prefix}{i}" for i in range(count)]
        assert [m.ordering_key for m in got if m.data == b"unordered"] == [""]

    def test_an_ordering_key_of_exactly_1024_bytes_is_accepted(self, session: _Session) -> None:
        """Pins: the ordering key is at most 1024 bytes, counted in UTF-8, the limit included."""
        topic = session.topic()
        ascii_key, accented_key = "o" * 1024, "é" * 512
        session.publisher.publish(topic, "ascii", ordering_key=ascii_key)
        session.publisher.publish(topic, "accented", ordering_key=accented_key)
        with pytest.raises(ValidationError) as raised:
            session.publisher.publish(topic, "over", ordering_key="é" * 512 + "o")
        assert [error.path for error in raised.value.errors] == ["ordering_key"]
        got = session.rig.read(topic, 2)
        assert sorted((m.data, m.ordering_key) for m in got) == sorted(
            [(b"ascii", ascii_key), (b"accented", accented_key)]
        )

    def test_an_ordering_key_still_works_after_a_failed_ordered_publish(
        self, session: _Session
    ) -> None:
        topic = session.topic()
        with pytest.raises(NotFoundError):
            session.publisher.publish(session.topic("gone", create=False), "x", ordering_key="k")
        session.publisher.publish(topic, "after", ordering_key="k")
        assert [m.data for m in session.rig.read(topic, 1)] == [b"after"]

    def test_a_cancelled_publish_ends_cancelled_wherever_the_cancel_lands(
        self, session: _Session
    ) -> None:
        """A ``cancel()`` that finds ``publish()`` running ends it with ``CancelledError``.

        Cancelled after 0, 1, 2, ... turns of the event loop (see
        :func:`serpens_contract._cancels.cancels_not_honoured`). A cancelled publish may
        still be delivered (at least once), but its caller never gets an id, and the
        publisher goes on publishing.
        """
        topic = session.topic()
        publisher = session.rig.publisher
        found = session.runner.run(cancels_not_honoured(lambda: publisher.publish(topic, "m")))
        assert found == []
        assert session.publisher.publish(topic, "after the cancels")
