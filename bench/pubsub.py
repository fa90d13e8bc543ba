"""Publish throughput against a Pub/Sub emulator: AsyncPublisher vs the SDK used directly.

Run: ``.venv/bin/python -m bench.pubsub`` (the gcloud emulator when installed, else the
in-process one; ``SERPENS_TEST_PUBSUB_TIER`` forces a tier). Figures:

- concurrent ``await publisher.publish`` (asyncio.gather) vs the common blocking loop
  ``client.publish(...).result()`` per message;
- the same vs the SDK's own concurrency (every future first, then ``result()``), for
  information: one asyncio Task per awaited publish plus serpens' validation, span and
  ``wrap_future`` cost CPU that the bare futures do not pay;
- event-loop stall while publishing: the longest gap a 1 ms ticker sees when the
  blocking loop runs inside a coroutine vs when AsyncPublisher is awaited.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

from google.cloud import pubsub_v1

from bench._common import Result, note_server, print_table, scaled
from serpens.pubsub import AsyncPublisher
from serpens.testing import start_pubsub_emulator

N = scaled(1000, minimum=50)
N_BLOCKING = scaled(200, minimum=10)  # each blocking publish waits out the SDK's 10 ms batch window
_EMULATORS = {
    "local": "gcloud cloud-pubsub-emulator",
    "inproc": "serpens in-process gRPC emulator",
    "env": "PUBSUB_EMULATOR_HOST",
}
PAYLOAD = {"order_id": 123, "status": "created", "items": [1, 2, 3]}


async def _ticker(stop: asyncio.Event) -> float:
    """Longest gap between 1 ms sleeps until *stop* (a measure of loop blocking)."""
    worst = 0.0
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        worst = max(worst, now - last)
        last = now
    return worst


def _rate(seconds: float) -> float:
    return N / seconds


def main() -> list[Result]:
    with start_pubsub_emulator() as emulator:
        os.environ["PUBSUB_EMULATOR_HOST"] = emulator.host
        client = pubsub_v1.PublisherClient()
        topic = f"projects/serpens-bench/topics/t{uuid.uuid4().hex[:12]}"
        client.create_topic(name=topic)
        client.publish(topic, b"warm-up").result()  # connect before timing

        def blocking_loop() -> float:
            start = time.perf_counter()
            for _ in range(N_BLOCKING):
                client.publish(topic, json.dumps(PAYLOAD, separators=(",", ":")).encode()).result()
            return (time.perf_counter() - start) * N / N_BLOCKING

        def sdk_concurrent() -> float:
            start = time.perf_counter()
            futures = [
                client.publish(topic, json.dumps(PAYLOAD, separators=(",", ":")).encode())
                for _ in range(N)
            ]
            for future in futures:
                future.result()
            return time.perf_counter() - start

        async def serpens_runs() -> tuple[list[float], float, float]:
            async with AsyncPublisher() as publisher:
                await publisher.publish(topic, PAYLOAD)
                times = []
                for _ in range(3):
                    start = time.perf_counter()
                    await asyncio.gather(*(publisher.publish(topic, PAYLOAD) for _ in range(N)))
                    times.append(time.perf_counter() - start)
                stop = asyncio.Event()
                ticker = asyncio.ensure_future(_ticker(stop))
                await asyncio.sleep(0.01)
                await asyncio.gather(*(publisher.publish(topic, PAYLOAD) for _ in range(N)))
                stop.set()
                serpens_stall = await ticker
            stop = asyncio.Event()
            ticker = asyncio.ensure_future(_ticker(stop))
            await asyncio.sleep(0.01)
            blocking_loop()  # what a handler calling future.result() does to its loop
            stop.set()
            blocking_stall = await ticker
            return times, serpens_stall, blocking_stall

        blocking = min(blocking_loop() for _ in range(2))
        concurrent = min(sdk_concurrent() for _ in range(3))
        times, serpens_stall, blocking_stall = asyncio.run(serpens_runs())
        serpens = min(times)
        client.transport.close()
        tier = emulator.tier
        jars = (
            sorted(emulator.executable.parent.parent.glob("lib/*.jar"))
            if emulator.executable
            else []
        )
    jar = next((j.stem for j in jars if j.stem.startswith("cloud-pubsub-emulator")), None)
    name = jar or _EMULATORS.get(tier, tier)
    note_server("Pub/Sub emulator", f"{name} ({tier} tier)")

    return [
        Result(
            f"publish {N} msgs, {tier} emulator: AsyncPublisher gather",
            _rate(serpens),
            _rate(blocking),
            "msg/s",
            "blocking future.result() loop",
            target=1.0,
            lower_is_better=False,
        ),
        Result(
            f"publish {N} msgs, {tier} emulator: AsyncPublisher gather",
            _rate(serpens),
            _rate(concurrent),
            "msg/s",
            "SDK futures then result()",
            target=None,
            lower_is_better=False,
        ),
        Result(
            "event-loop stall while publishing",
            serpens_stall * 1000,
            blocking_stall * 1000,
            "ms",
            "blocking loop inside a coroutine",
            target=0.5,
        ),
    ]


if __name__ == "__main__":
    print_table(main())
