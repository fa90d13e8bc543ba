from serpens import sqs
from serpens.testing.sqs_events import sqs_event, sqs_record


def charge(order: dict[str, int]) -> None:
    if order["amount"] < 0:
        raise ValueError("negative amount")


@sqs.handler
def lambda_handler(record: sqs.Record) -> None:
    charge(record.body)  # record.body is the decoded JSON body; a non-JSON body stays a string


event = sqs_event(
    sqs_record('{"amount": 10}', message_id="ok"),
    sqs_record('{"amount": -1}', message_id="bad"),
    sqs_record('{"amount": 5}', message_id="also-ok"),
)
# Only the failed record goes back to the queue; the others are deleted by Lambda.
assert lambda_handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


@sqs.async_handler(max_concurrency=5)
async def async_lambda_handler(record: sqs.Record) -> None:
    if record.receive_count > 3:
        return  # give up quietly after three tries, or raise to go to the DLQ
    if record.message_attribute_values.get("busy") == "yes":
        raise sqs.RetryLater(60)  # back off: visible again in 60 s (ChangeMessageVisibility)


assert async_lambda_handler(sqs_event(sqs_record("{}")), None) is None
