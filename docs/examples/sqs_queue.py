import asyncio
import uuid

import boto3

from serpens_aws import AsyncSQSQueue, SQSQueue

name = f"orders-{uuid.uuid4().hex[:8]}"
boto3.client("sqs").create_queue(QueueName=name)  # at deploy time, not in the service

queue = SQSQueue.from_name(name)  # one GetQueueUrl call
queue = SQSQueue(queue.queue_url)  # or from the URL: no call at all
queue.send('{"id": 1}', attributes={"kind": "order", "priority": 3})
(message,) = queue.receive(wait_seconds=1)
assert message.attributes == {"kind": "order", "priority": "3"}  # numbers read back as text
queue.ack(message)


async def main() -> None:
    orders = AsyncSQSQueue(queue.queue_url)  # boto3 calls run in worker threads
    await orders.send('{"id": 2}')
    (received,) = await orders.receive(wait_seconds=1)
    await orders.ack(received)


asyncio.run(main())
queue.client.delete_queue(QueueUrl=queue.queue_url)
