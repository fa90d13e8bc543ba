"""``sqs.async_handler``: an interrupted invocation awaits its records' own clean-up.

"Nothing of a batch outlives its invocation": when the invocation is interrupted (here a
``KeyboardInterrupt`` raised by a callback on the loop, outside any processor), the
in-flight records are cancelled *and awaited*. A processor that cleans up on cancel with
an ``await`` of its own (a rollback, a release) needs more than one turn of the loop to
finish; pinned: that clean-up has run to its end before the handler raises, and nothing
of the batch is left on the process-wide loop for the next invocation to run.
"""

from __future__ import annotations

import asyncio

import pytest

from serpens import _lambda_loop, sqs
from serpens.testing.sqs_events import sqs_event, sqs_record


def test_an_interrupted_batch_awaits_the_clean_up_of_every_in_flight_record() -> None:
    cleaned: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    async def processor(record: sqs.Record) -> None:
        if record.raw_body == "b1":
            asyncio.get_running_loop().call_later(0.005, interrupt)
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            await asyncio.sleep(0.02)  # a clean-up that takes several turns of the loop
            await asyncio.sleep(0)
            cleaned.append(record.raw_body)
            raise

    process = sqs.async_handler(processor, max_concurrency=3)

    event = sqs_event(*(sqs_record(f"b{i}", message_id=f"m{i}") for i in range(6)))
    with pytest.raises(KeyboardInterrupt):
        process(event, None)

    assert sorted(cleaned) == ["b0", "b1", "b2"]  # done before the handler raised
    loop = _lambda_loop.get_loop()
    assert {task for task in asyncio.all_tasks(loop) if not task.done()} == set()
