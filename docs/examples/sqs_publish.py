"""Run against moto's server: AWS_ENDPOINT_URL and test credentials come from the env."""

import uuid
from decimal import Decimal

import boto3

from serpens import sqs

client = boto3.client("sqs")
url = client.create_queue(QueueName=f"orders-{uuid.uuid4().hex[:8]}")["QueueUrl"]

# One message: a dict body is JSON-encoded like an API response body.
answer = sqs.publish_message(
    url,
    {"order_id": 42, "total": Decimal("19.99")},
    attributes={
        "kind": "created",  # String
        "priority": 3,  # Number
    },
)
assert answer["MessageId"]

# Many messages: sent ten per SendMessageBatch call; SQS's answer to each call comes back.
answers = sqs.publish_message_batch(
    url, [{"body": {"order_id": n}, "attributes": {"kind": "created"}} for n in range(25)]
)
assert [len(answer["Successful"]) for answer in answers] == [10, 10, 5]
assert answers[0]["Failed"] == []  # an entry that cannot be sent raises instead
assert answers[0]["ResponseMetadata"]["HTTPStatusCode"] == 200
ids = [ok["MessageId"] for answer in answers for ok in answer["Successful"]]  # input order
assert len(set(ids)) == 25

# FIFO: the group id doubles as the deduplication id, as in serpens 2.9 (a second
# message of the same group within five minutes is dropped unless deduplication_id is set).
fifo = client.create_queue(
    QueueName=f"orders-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
)["QueueUrl"]
sqs.publish_message(fifo, {"order_id": 42, "step": "paid"}, "order-42", deduplication_id="42-paid")
sqs.publish_message_batch(fifo, [{"body": {"step": s}} for s in ("a", "b")], order_key="order-43")

assert sqs.build_message_attributes({"kind": "created", "n": 1.5}) == {
    "kind": {"DataType": "String", "StringValue": "created"},
    "n": {"DataType": "Number", "StringValue": "1.5"},
}
client.delete_queue(QueueUrl=url)
client.delete_queue(QueueUrl=fifo)
