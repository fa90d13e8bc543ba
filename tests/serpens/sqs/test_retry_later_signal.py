"""``sqs.RetryLater`` and ``CLOUD_PROVIDER``: what a failure signal does (no network).

The docstring promises a delay of 0 to 43,200 seconds (SQS's 12-hour maximum visibility
timeout, inclusive) and a reason that is optional; the signal's text, which the failure
log lines carry, reads ``retry in <delay>s`` and adds ``: <reason>`` only when a reason
was given. ``CLOUD_PROVIDER`` blank or ``aws`` in any case and spacing keeps the AWS
behaviour (a failed record is reported, not raised).
"""

from __future__ import annotations

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.testing.sqs_events import sqs_event, sqs_record


@pytest.mark.parametrize("delay", [0, 43_200])
def test_both_ends_of_the_delay_range_are_accepted(delay: int) -> None:
    assert sqs.RetryLater(delay).delay == delay


@pytest.mark.parametrize("delay", [-1, 43_201])
def test_a_delay_past_either_end_is_refused(delay: int) -> None:
    with pytest.raises(ValidationError):
        sqs.RetryLater(delay)


def test_without_a_reason_the_text_is_the_delay_alone() -> None:
    signal = sqs.RetryLater(5)
    assert signal.reason == ""
    assert str(signal) == "retry in 5s"


def test_a_reason_is_kept_and_follows_the_delay_in_the_text() -> None:
    signal = sqs.RetryLater(5, "quota")
    assert signal.reason == "quota"
    assert str(signal) == "retry in 5s: quota"


@pytest.mark.parametrize("provider", [" ", " AWS ", "Aws"])
def test_a_blank_or_aws_provider_in_any_case_reports_failures(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only another provider makes failures propagate: spaces and case do not count."""
    monkeypatch.setenv("CLOUD_PROVIDER", provider)

    def process(record: sqs.Record) -> None:
        raise RuntimeError("boom")

    event = sqs_event(sqs_record("x", message_id="m-1"))
    assert sqs.handler(process)(event, None) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
