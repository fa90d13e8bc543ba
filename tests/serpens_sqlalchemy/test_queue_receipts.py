"""The PostgreSQL queue's receipts (``serpens_sqlalchemy/_queue_receipts.py``) beyond the contract.

A receipt is ``<message id>.<token>``, and the token is everything after the first dot.
The first mutation round of the module found that no test sent a receipt with more than
one dot: a queue that read the token after the *last* dot acknowledged a message for a
receipt it never issued (``<id>.<anything>.<the current token>``), both while the message
was in the table and, from its tombstone, after it was acknowledged. Such a receipt is
``NotFoundError`` and acts on nothing, as on SQS. Real PostgreSQL through psycopg2.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from serpens.errors import NotFoundError
from serpens.ports import Message
from serpens_sqlalchemy import PostgresQueue

pytestmark = pytest.mark.postgres


@pytest.fixture(name="queue")
def _queue(postgres_url: str) -> Iterator[PostgresQueue]:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    queue = PostgresQueue(engine, f"receipts-{uuid.uuid4().hex[:8]}", deadline=5.0)
    queue.create_table()
    yield queue
    engine.dispose()


def _forged(message: Message, token: str) -> Message:
    """*message* with a receipt it was never given: its id, then ``x.``, then *token*."""
    ident = message.receipt.partition(".")[0]
    return Message(message.id, message.body, f"{ident}.x.{token}", message.receive_count)


def test_a_receipt_ending_in_the_current_token_after_another_dot_acts_on_nothing(
    queue: PostgresQueue,
) -> None:
    queue.send("work")
    (message,) = queue.receive(visibility_timeout=60)
    forged = _forged(message, message.receipt.partition(".")[2])
    with pytest.raises(NotFoundError):
        queue.ack(forged)
    with pytest.raises(NotFoundError):
        queue.change_visibility(forged, 0)
    assert queue.receive(visibility_timeout=60) == []  # still in flight, still there
    queue.ack(message)
    with pytest.raises(NotFoundError):  # the tombstone accepts it no more than the row did
        queue.ack(forged)
    queue.ack(message)  # acknowledging again with the real receipt stays harmless
