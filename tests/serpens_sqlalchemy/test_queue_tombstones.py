"""An acknowledged message's tombstone can never be taken for a send's deduplication id.

The PostgreSQL queue keeps one table of deduplication keys per queue: a FIFO send's
``dedup_id`` (or its body's hash) and, after an ack, the acknowledged message's tombstone
(``serpens_sqlalchemy/_queue_receipts.py``: ``ACKED`` and the message id), which keeps its
last receipt for a repeated ack. The two share the key column, so a tombstone's key must
be one no send may use (it holds a space): otherwise a send whose ``dedup_id`` happened to
equal it would be swallowed as a duplicate of a message that was acknowledged. This pins
that the key a real ack writes is refused as a ``dedup_id``. Real PostgreSQL, psycopg2.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from serpens.errors import ValidationError
from serpens_sqlalchemy import PostgresQueue
from tests.serpens_sqlalchemy._queue_support import _engine, _table  # noqa: F401 - fixtures

pytestmark = pytest.mark.postgres


@pytest.fixture(name="queue")
def _queue(engine: sa.Engine, table: str) -> PostgresQueue:
    queue = PostgresQueue(engine, "tombstones", fifo=True, table=table, deadline=5.0)
    queue.create_table()
    return queue


def test_an_acknowledged_messages_key_is_no_dedup_id_a_send_may_use(
    queue: PostgresQueue, engine: sa.Engine, table: str
) -> None:
    """Read the key an ack wrote, then send with it as ``dedup_id``: a ValidationError."""
    queue.send("work", group_id="g", dedup_id="first")
    (message,) = queue.receive(visibility_timeout=60)
    queue.ack(message)
    with engine.connect() as conn:
        keys = conn.execute(
            sa.text(f"SELECT dedup_id FROM {table}_dedup WHERE dedup_id <> 'first'")
        ).scalars()
        (tombstone,) = keys.all()  # the ack wrote one key beside the send's own
    assert message.id in tombstone
    with pytest.raises(ValidationError):
        queue.send("later", group_id="g", dedup_id=tombstone)
