"""serpens adapter package for google; importing it without `serpens[gcp]` names the extra."""

from serpens._extras import require

require("google.cloud.pubsub_v1", "gcp")

from serpens_pubsub._errors import TopicNotFoundError  # noqa: E402 - after the extra check
from serpens_pubsub._publisher import PubSubPublisher  # noqa: E402 - after the extra check

__all__ = ["PubSubPublisher", "TopicNotFoundError"]
