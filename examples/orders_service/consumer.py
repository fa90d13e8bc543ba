"""The Lambda SQS consumer that fulfils orders.

Each record of the fulfilment queue names one order. The consumer marks it fulfilled;
an order still awaiting payment is retried later (``RetryLater``: the record is
reported in ``batchItemFailures`` and becomes visible again after the delay), and any
other failure reports only its own record, so the rest of the batch is not redelivered.
Enable ``ReportBatchItemFailures`` on the event source mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders_service.service import AwaitingPaymentError, UnitOfWork, fulfil
from orders_service.settings import Settings
from serpens import sqs
from serpens.errors import SerializationError

__all__ = ["lambda_handler", "make_handler"]


def make_handler(orders: UnitOfWork, *, retry_seconds: int) -> sqs.LambdaHandler:
    """Build the Lambda entry point over the orders unit of work.

    Args:
        orders: opens the orders repository for one unit of work (one per record).
        retry_seconds: how long an order awaiting payment waits before its next try.
    """

    @sqs.handler
    def fulfil_orders(record: sqs.Record) -> None:
        order_id = _order_id(record)
        with orders() as repository:
            try:
                fulfil(repository, order_id)
            except AwaitingPaymentError as exc:
                raise sqs.RetryLater(retry_seconds, str(exc)) from exc

    return fulfil_orders


def _order_id(record: sqs.Record) -> int:
    data = record.body
    order_id = data.get("order_id") if isinstance(data, dict) else None
    if isinstance(order_id, bool) or not isinstance(order_id, int):
        raise SerializationError(f"message {record.message_id} carries no integer order_id")
    return order_id


class _ColdStart:
    handler: sqs.LambdaHandler | None = None


def lambda_handler(event: Mapping[str, Any], context: Any) -> sqs.BatchResponse | None:
    """The function Lambda calls; wires the adapters from the environment on a cold start."""
    if _ColdStart.handler is None:
        from orders_service.container import bind_worker  # noqa: PLC0415 - cold start only

        settings = Settings.from_env()
        _ColdStart.handler = make_handler(
            bind_worker(settings), retry_seconds=settings.payment_retry_seconds
        )
    return _ColdStart.handler(event, context)
