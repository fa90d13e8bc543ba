"""Run against moto's server: AWS_ENDPOINT_URL and test credentials come from the env."""

import time
import uuid

import boto3

from serpens import sqs
from serpens.testing.sqs_events import poll_once
from serpens_aws import SQSQueue

client = boto3.client("sqs")
url = client.create_queue(
    QueueName=f"orders-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "1"}
)["QueueUrl"]
queue = SQSQueue(url, client)
for amount in (10, -1, 5):
    queue.send(f'{{"amount": {amount}}}', attributes={"amount": amount})  # Number attribute


@sqs.handler
def lambda_handler(record: sqs.Record) -> None:
    if record.body["amount"] < 0:
        raise ValueError("negative amount")


failed = poll_once(lambda_handler, client, url)  # what Lambda's SQS poller does
assert len(failed) == 1
time.sleep(1.2)  # the failed message returns after the visibility timeout
(back,) = queue.receive(max_messages=10)
assert back.body == '{"amount": -1}'
assert back.receive_count == 2
assert back.attributes == {"amount": "-1"}
queue.ack(back)
client.delete_queue(QueueUrl=url)
