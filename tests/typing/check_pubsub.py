"""Static conformance checks of the Publisher implementations (mypy only)."""

import serpens_pubsub
from serpens.fakes import InMemoryPublisher
from serpens.ports import Publisher


def pubsub_adapter_and_fake_are_publishers(
    adapter: serpens_pubsub.PubSubPublisher, fake: InMemoryPublisher
) -> list[Publisher]:
    return [adapter, fake]
