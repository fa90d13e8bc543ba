"""serpens.sqs.async_handler, and either handler outside AWS (no network).

Async processors run concurrently up to a limit, FIFO groups in order, on one event loop
across warm invocations. With ``CLOUD_PROVIDER`` other than aws (Pub/Sub push) a failure
propagates to the caller instead of being reported per record.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

import pytest

from serpens import sqs
from serpens.errors import ValidationError
from serpens.sentry import FilteredEvent
from serpens.testing.sqs_events import sqs_event, sqs_record
from tests.serpens.sqs._batches import FIFO_ARN, _ids


class TestAsyncHandler:
    def test_processes_concurrently_up_to_the_limit(self) -> None:
        running = 0
        peak = 0

        @sqs.async_handler(max_concurrency=3)
        async def process(record: sqs.Record) -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            if record.raw_body == "4":
                raise RuntimeError("boom")

        event = sqs_event(*(sqs_record(str(i), message_id=f"m{i}") for i in range(10)))
        assert _ids(process(event, None)) == ["m4"]
        assert peak == 3

    def test_handler_on_an_async_def_awaits_it(self) -> None:
        seen: list[str] = []

        @sqs.handler
        async def process(record: sqs.Record) -> None:
            await asyncio.sleep(0)
            seen.append(record.raw_body)

        assert process(sqs_event(sqs_record("a"), sqs_record("b")), None) is None
        assert sorted(seen) == ["a", "b"]

    def test_fifo_groups_run_in_order_and_stop_at_their_first_failure(self) -> None:
        seen: list[str] = []

        @sqs.async_handler(max_concurrency=4)
        async def process(record: sqs.Record) -> None:
            # later records finish sooner
            await asyncio.sleep(0.001 * (3 - int(record.raw_body[1])))
            seen.append(record.raw_body)
            if record.raw_body == "a2":
                raise ValueError("no")

        bodies = [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A"), ("b3", "B")]
        event = sqs_event(
            *(sqs_record(b, message_id=b, group_id=g, queue_arn=FIFO_ARN) for b, g in bodies)
        )
        assert _ids(process(event, None)) == ["a2", "a3"]
        assert [b for b in seen if b[0] == "a"] == ["a1", "a2"]
        assert [b for b in seen if b[0] == "b"] == ["b1", "b2", "b3"]

    @pytest.mark.parametrize("arn", ["arn:aws:sqs:us-east-1:123456789012:orders", FIFO_ARN])
    def test_legacy_signal_in_a_dict_subclass_marks_the_record_failed(self, arn: str) -> None:
        @sqs.async_handler(max_concurrency=2)
        async def process(record: sqs.Record) -> dict[str, str] | None:
            if record.raw_body == "bad":
                return collections.OrderedDict(messageId=record.message_id)
            return None

        event = sqs_event(
            sqs_record("ok", message_id="1", queue_arn=arn, group_id="g1"),
            sqs_record("bad", message_id="2", queue_arn=arn, group_id="g2"),
        )
        assert _ids(process(event, None)) == ["2"]

    def test_a_filtered_event_fails_its_record_with_a_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        @sqs.async_handler
        async def process(record: sqs.Record) -> None:
            raise FilteredEvent(record.raw_body)

        with caplog.at_level(logging.INFO, "serpens.sqs"):
            assert _ids(process(sqs_event(sqs_record("x", message_id="m1")), None)) == ["m1"]
        assert [r.levelno for r in caplog.records] == [logging.WARNING]

    def test_warm_invocations_reuse_one_event_loop(self) -> None:
        loops: list[asyncio.AbstractEventLoop] = []

        @sqs.async_handler
        async def process(record: sqs.Record) -> None:
            loops.append(asyncio.get_running_loop())

        process(sqs_event(sqs_record("1")), None)
        process(sqs_event(sqs_record("2")), None)
        assert loops[0] is loops[1]

    def test_max_concurrency_must_be_positive(self) -> None:
        with pytest.raises(ValidationError):
            sqs.async_handler(max_concurrency=0)


def test_a_sync_callable_returning_a_coroutine_never_counts_as_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Processor:
        async def __call__(self, record: sqs.Record) -> None:
            pass

    process = sqs.handler(Processor())  # not detected as async: a callable instance
    with caplog.at_level(logging.ERROR, "serpens.sqs"):
        response = process(sqs_event(sqs_record("x", message_id="m")), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert "sqs.async_handler" in caplog.text


class TestOutsideAws:
    """``CLOUD_PROVIDER`` other than aws (Pub/Sub push): a failure propagates, as in 2.9.0."""

    def test_a_failing_record_raises_to_the_caller(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        seen: list[Any] = []

        @sqs.handler
        def process(record: sqs.Record) -> None:
            seen.append(record.body)
            if record.body == {"n": 2}:
                raise KeyError("n")

        event = sqs_event(sqs_record('{"n": 1}'), sqs_record('{"n": 2}'), sqs_record('{"n": 3}'))
        with pytest.raises(KeyError):
            process(event, None)
        assert seen == [{"n": 1}, {"n": 2}]  # stopped where it failed

    def test_an_async_processor_failure_raises_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "GCP")

        @sqs.handler
        async def process(record: sqs.Record) -> None:
            raise ValueError(record.raw_body)

        with pytest.raises(ValueError, match="boom"):
            process(sqs_event(sqs_record("boom")), None)

    @pytest.mark.parametrize("kind", ["sync", "async"])
    def test_a_filtered_event_propagates(self, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

        def run(record: sqs.Record) -> None:
            raise FilteredEvent(record.raw_body)

        async def arun(record: sqs.Record) -> None:
            run(record)

        process = sqs.handler(run) if kind == "sync" else sqs.handler(arun)
        with pytest.raises(FilteredEvent, match="expected"):
            process(sqs_event(sqs_record("expected")), None)

    @pytest.mark.parametrize("provider", ["aws", "AWS", ""])
    def test_on_aws_failures_are_reported_per_record(
        self, monkeypatch: pytest.MonkeyPatch, provider: str
    ) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", provider)

        @sqs.handler
        def process(record: sqs.Record) -> None:
            raise ValueError(record.raw_body)

        assert _ids(process(sqs_event(sqs_record("x", message_id="m1")), None)) == ["m1"]

    def test_success_returns_none_outside_aws(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        assert sqs.handler(lambda record: None)(sqs_event(sqs_record("x")), None) is None


def _dict_signal(record: sqs.Record) -> dict[str, str]:
    return {"messageId": record.message_id}


async def _async_dict_signal(record: sqs.Record) -> dict[str, str]:
    return _dict_signal(record)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: sqs.handler(_dict_signal), id="handler"),
        pytest.param(lambda: sqs.handler(_async_dict_signal), id="handler-async-def"),
        pytest.param(lambda: sqs.async_handler(_async_dict_signal), id="async_handler"),
        pytest.param(
            lambda: sqs.async_handler(max_concurrency=1)(_async_dict_signal), id="one-worker"
        ),
    ],
)
@pytest.mark.parametrize("arn", [None, FIFO_ARN], ids=["standard", "fifo"])
def test_the_dict_signal_fails_nothing_outside_aws_as_in_2_9(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, make: Any, arn: str | None
) -> None:
    """serpens 2.9 honoured a returned ``{"messageId": ...}`` only on AWS."""
    fifo = {"queue_arn": arn, "group_id": "g"} if arn else {}
    records = [sqs_record("x", message_id=f"m{i}", **fifo) for i in (1, 2)]  # type: ignore[arg-type]
    monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
    with caplog.at_level(logging.INFO, "serpens.sqs"):
        assert make()(sqs_event(*records), None) is None
    assert "fails a record only on AWS; ignored on gcp" in caplog.text
    monkeypatch.setenv("CLOUD_PROVIDER", "aws")
    assert _ids(make()(sqs_event(*records), None)) == ["m1", "m2"]
