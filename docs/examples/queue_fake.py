from serpens.fakes import InMemoryQueue


class Clock:
    """A clock the test moves by hand: no sleeping for visibility timeouts."""

    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


clock = Clock()
queue = InMemoryQueue(clock=clock)
queue.send('{"order": 42}', attributes={"kind": "order"})

(message,) = queue.receive(visibility_timeout=30)
assert message.receive_count == 1
assert queue.receive() == []  # in flight: invisible to other consumers

clock.now += 31  # the consumer crashed before acknowledging
(again,) = queue.receive()
assert (again.id, again.receive_count) == (message.id, 2)
queue.ack(again)
assert queue.pending_bodies() == []

orders = InMemoryQueue(fifo=True, clock=clock)
for step in ("created", "paid", "shipped"):
    orders.send(step, group_id="order-42")  # no dedup_id: never dropped as a duplicate
assert [m.body for m in orders.receive(max_messages=10)] == ["created", "paid", "shipped"]
