"""How the SQS queue reads answers moto never gives: members left out, SQS's refusals.

Every receive asks for ``SentTimestamp`` and ``ApproximateReceiveCount``, and SQS (and
moto) answer them, so the contract cells never see a message without them; the queue
still reads one with the port's defaults rather than failing on the missing member.

SQS answers a change of visibility on a message no longer in flight with
``InvalidParameterValue`` naming the ``ReceiptHandle``, where moto answers
``ReceiptHandleIsInvalid``; a local HTTP server gives SQS's answer here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serpens.errors import NotFoundError, ValidationError
from serpens.ports import Message
from serpens_aws._queue import _to_message
from tests.serpens_aws._local_sqs import LocalSQS, SQSHandler, serving

_GONE = (
    "Value r-1 for parameter ReceiptHandle is invalid. Reason: Message does not exist "
    "or is not available for visibility timeout change."
)


def test_a_message_without_optional_members_reads_back_with_the_defaults() -> None:
    message = _to_message({"MessageId": "m-1", "ReceiptHandle": "r-1"})
    assert (message.id, message.receipt, message.body) == ("m-1", "r-1", "")
    assert message.receive_count == 1
    assert dict(message.attributes) == {}
    assert message.group_id is None
    assert message.sent_at is None


class _Handler(SQSHandler):
    """Answers every call with the ``InvalidParameterValue`` error the server holds."""

    server: _SQS

    def do_POST(self) -> None:
        self.request_json()
        refusal = {
            "__type": "com.amazonaws.sqs#InvalidParameterValue",
            "message": self.server.refusal,
        }
        self.answer(400, refusal, x_amzn_query_error="InvalidParameterValue;Sender")


class _SQS(LocalSQS):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.refusal = _GONE


@pytest.fixture(name="sqs")
def _sqs() -> Iterator[_SQS]:
    with serving(_SQS()) as server:
        yield server


def _message() -> Message:
    return _to_message({"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": "work"})


def test_sqs_refusing_the_receipt_of_a_visibility_change_is_not_found(sqs: _SQS) -> None:
    with pytest.raises(NotFoundError, match="message 'm-1' is not in flight"):
        sqs.queue().change_visibility(_message(), 30)


def test_sqs_refusing_another_parameter_of_a_visibility_change_is_a_validation_error(
    sqs: _SQS,
) -> None:
    sqs.refusal = "Value 50000 for parameter VisibilityTimeout is invalid."
    with pytest.raises(ValidationError):
        sqs.queue().change_visibility(_message(), 30)
