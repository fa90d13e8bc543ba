"""Receipts of the PostgreSQL queues: which receipts name a message, and which it issued.

A receipt is ``<message id>.<token>``; each receive's token is the MD5 of the one before
(the first is random). An acknowledged message leaves a tombstone in the dedup table that
keeps its last receipt, so acknowledging it again (with its last receipt or a stale one)
is harmless while a receipt this queue never issued is ``NotFoundError``, as on SQS. Shared
by the sync and async queues; no I/O.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from serpens._rules.queue import MAX_VISIBILITY_TIMEOUT
from serpens.errors import NotFoundError

__all__ = ["ACKED", "TOMBSTONE_SECONDS", "acknowledged", "issued", "message_id"]

# The tombstone's key holds a space, which no FIFO deduplication id may contain, and it
# lives as long as a receipt can (the longest visibility timeout).
ACKED = "acked "
TOMBSTONE_SECONDS = MAX_VISIBILITY_TIMEOUT


def message_id(receipt: str) -> uuid.UUID:
    """The id of the message a receipt (``<message id>.<token>``) was issued for."""
    try:
        return uuid.UUID(receipt.split(".", 1)[0])
    except ValueError:
        raise NotFoundError(f"no message was delivered with receipt {receipt!r}") from None


def issued(receipt: str, current: str, receive_count: int) -> bool:
    """Whether *receipt* is the message's *current* receipt or one it replaced.

    Each receive's token is the MD5 of the one before (the first is random), so hashing a
    stale token forward reaches the current one within ``receive_count`` steps, while a
    made-up token (a real message id with any other token) reaches nothing: it is
    ``NotFoundError``, as on SQS, instead of acting on the message.
    """
    token = receipt.partition(".")[2]
    latest = current.partition(".")[2]
    for _ in range(receive_count):
        if token == latest:
            return True
        token = hashlib.md5(token.encode(), usedforsecurity=False).hexdigest()
    return False


def acknowledged(receipt: str, tombstone: Any) -> bool:
    """Whether *receipt* is one the acknowledged message's *tombstone* row accepts.

    The tombstone keeps the message's last receipt and receive count, so the receipt that
    acknowledged it and every stale one are accepted (:func:`issued`) and a made-up token
    is not. A tombstone an earlier build wrote kept no receipt: any token of the id passes.
    """
    last = tombstone.receipt
    return last is None or issued(receipt, last, tombstone.receive_count)
