"""The queue's declared differences: :class:`QueueCapabilities` and its capability names.

Kept apart from the cases so that importing the suite registers every name a case's
``@requires(...)`` may use, whichever case module is read first.
"""

from __future__ import annotations

from dataclasses import dataclass

from serpens_contract.capabilities import register_capability


@dataclass(frozen=True)
class QueueCapabilities:
    """Honest differences between queue implementations.

    Attributes:
        dedup_after_ack: a FIFO ``dedup_id`` stays remembered for the whole five-minute
            window even after its message was acknowledged (SQS does; moto forgets it).
        fifo_redelivery_order: when several in-flight messages of one FIFO group time
            out, they are redelivered in send order (SQS does; moto can hand the later
            one over first).
        injectable_clock: ``advance_clock`` moves the implementation's clock without
            sleeping, so the differential test also advances time and lets visibility
            timeouts expire (the fakes; real servers keep a time-free differential).
        duplicate_answers_original_id: a send deduplicated within the window returns the
            id of the message first enqueued with that ``dedup_id`` (SQS does; moto
            answers with a new id that no message has).
        content_based_dedup: the implementation can open FIFO queues that deduplicate a
            send without ``dedup_id`` by its body (SQS's ``ContentBasedDeduplication``);
            the suite opens them with the ``open_content_based_fifo`` fixture. Off by
            default: an optional feature, not every queue has it.
    """

    dedup_after_ack: bool = True
    duplicate_answers_original_id: bool = True
    fifo_redelivery_order: bool = True
    injectable_clock: bool = False
    content_based_dedup: bool = False


register_capability(
    "queue",
    "dedup_after_ack",
    lambda c: c.dedup_after_ack,
    "FIFO deduplication ids outlive acknowledgement for the 5-minute window",
)
register_capability(
    "queue",
    "duplicate_answers_original_id",
    lambda c: c.duplicate_answers_original_id,
    "a deduplicated send returns the original message's id",
)
register_capability(
    "queue",
    "content_based_dedup",
    lambda c: c.content_based_dedup,
    "FIFO queues can deduplicate by body (content-based deduplication)",
)
register_capability(
    "queue",
    "fifo_redelivery_order",
    lambda c: c.fifo_redelivery_order,
    "timed-out messages of a FIFO group are redelivered in send order",
)
