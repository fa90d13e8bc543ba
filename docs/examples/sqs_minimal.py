from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record


@sqs.handler
def message_processor(record: sqs.Record):
    print(record.body)


# What Lambda does with a batch of one record; None: every record succeeded.
assert message_processor(sqs_event(sqs_record("hello")), None) is None
