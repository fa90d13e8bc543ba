"""serpens 2.9 failure signals, and Sentry set up from SENTRY_DSN (nothing here: it is unset)."""

import collections
import json

from serpens import sentry, sqs
from serpens.testing.sqs_events import sqs_event, sqs_record

sentry.setup()  # at cold start; initialises sentry_sdk only when SENTRY_DSN is set


@sqs.handler
def process(record: sqs.Record) -> dict[str, str] | None:
    record.body = json.loads(record.body["Message"])  # unwrap an SNS envelope, as in 2.9
    if record.body.get("kind") == "test":
        raise sentry.FilteredEvent("test message")  # fails the record, logged as a warning
    if record.body.get("kind") == "later":
        return collections.OrderedDict(messageId=record.message_id)  # fails it too
    return None


def envelope(message: dict[str, str]) -> str:
    return json.dumps({"Type": "Notification", "Message": json.dumps(message)})


event = sqs_event(
    sqs_record(envelope({"kind": "order"}), message_id="m1"),
    sqs_record(envelope({"kind": "test"}), message_id="m2"),
    sqs_record(envelope({"kind": "later"}), message_id="m3"),
)
assert process(event, None) == {
    "batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]
}

# The hook setup() installs: an event caused by a FilteredEvent never reaches Sentry.
error = sentry.FilteredEvent("test message")
assert sentry.before_send({"level": "error"}, {"exc_info": (type(error), error, None)}) is None
assert sentry.before_send({"level": "error"}, {}) == {"level": "error"}
