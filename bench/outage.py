"""Outages: what each port costs its callers while its backend is down, and how fast it is back.

Every adapter runs through a :class:`serpens.testing.FaultProxy` in front of a real server,
configured as in the contract cells (0.5 s Redis socket timeouts, boto3 with a 1 s read
timeout and one attempt, a 1 s Pub/Sub publish timeout, ``timeout=0.5`` HTTP requests).
Per port and fault (``refused``, ``frozen``, ``reset``, and ``trickled``: the answers
come back one byte every 50 ms, each read in time, so only a deadline on the whole
answer ends a call): calls/s and p99 latency of one caller while
the backend is down (the baseline is the configured deadline: every call should end
within it), then the seconds from ``heal()`` to the first successful call. Informative
rows, except p99, whose target is the deadline plus 0.5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from bench._common import Result, note_server, print_table, scaled

CALLS = scaled(20, minimum=3)
FAULTS = ("refused", "frozen", "reset", "trickled")

Call = Callable[[], object]


def _fault(proxy: Any, fault: str) -> contextlib.AbstractContextManager[object]:
    from serpens_contract.outage import proxy_outage  # noqa: PLC0415 - keep import cheap for --help

    return proxy_outage(proxy)(fault)  # type: ignore[arg-type]


def _down(call: Call, seconds_cap: float) -> tuple[float, float]:
    """calls/s and p99 seconds of *call* (each expected to fail) until CALLS or the cap."""
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < CALLS and time.perf_counter() - started < seconds_cap:
        begin = time.perf_counter()
        with contextlib.suppress(Exception):
            call()
        samples.append(time.perf_counter() - begin)
    total = time.perf_counter() - started
    p99 = statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else samples[0]
    return len(samples) / total, p99


def _recovery(call: Call, limit: float = 30.0) -> float:
    """Seconds until *call* succeeds once the fault is healed."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        try:
            call()
        except Exception:
            time.sleep(0.01)
            continue
        return time.perf_counter() - started
    return float("inf")


def _rows(port: str, deadline: float, proxy: Any, call: Call) -> list[Result]:
    rows: list[Result] = []
    call()  # warm: connections open, the first healthy call done
    for fault in FAULTS:
        with _fault(proxy, fault):
            rate, p99 = _down(call, seconds_cap=max(2.0, 4 * deadline))
        recovered = _recovery(call)
        rows += [
            Result(f"{port}, {fault}: calls/s while down", rate, 1 / deadline, "calls/s",
                   "1 / deadline", lower_is_better=False),
            Result(f"{port}, {fault}: p99 while down", p99, deadline, "s", "deadline",
                   target=(deadline + 0.5) / deadline),
            Result(f"{port}, {fault}: recovery after heal", recovered, deadline, "s",
                   "deadline"),
        ]  # fmt: skip
    return rows


@contextlib.contextmanager
def _proxy(host: str, port: int) -> Iterator[Any]:
    from serpens.testing import FaultProxy  # noqa: PLC0415 - keep import cheap for --help

    with FaultProxy(upstream=(host, port)) as proxy:
        yield proxy


def _redis(results: list[Result]) -> None:
    import redis.asyncio as aioredis  # noqa: PLC0415
    from redis.asyncio.retry import Retry  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415

    from serpens.testing import start_redis  # noqa: PLC0415
    from serpens_redis import RedisCache, RedisRateLimiter  # noqa: PLC0415

    with start_redis() as server, _proxy(server.host, server.port) as proxy:
        note_server("redis", f"tier={server.tier} behind a FaultProxy")
        url = proxy.url_for(server.url)
        for mode in (False, True):
            cache = RedisCache.from_url(url, prefix=f"bench-{uuid.uuid4().hex[:6]}", fail_open=mode)
            name = "Cache (Redis, fail-open)" if mode else "Cache (Redis, strict)"
            results += _rows(name, 0.5, proxy, lambda cache=cache: cache.get_or_set("k", lambda: 1))
            cache.close()
        with asyncio.Runner() as runner:
            client = runner.run(_aclient(aioredis, url, Retry, NoBackoff))
            limiter = RedisRateLimiter(client, f"bench-{uuid.uuid4().hex[:6]}", 1e6, burst=10**6)
            results += _rows("RateLimit (Redis)", 0.5, proxy, lambda: runner.run(limiter.acquire()))
            runner.run(client.aclose())


async def _aclient(aioredis: Any, url: str, retry: Any, backoff: Any) -> Any:
    return aioredis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=retry(backoff(), 0)
    )


def _aws(results: list[Result]) -> None:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    from serpens.testing import start_moto  # noqa: PLC0415
    from serpens_aws import (  # noqa: PLC0415
        DynamoDBDocumentStore,
        SecretsManagerStore,
        SQSQueue,
        SSMParameterStore,
    )

    config = Config(connect_timeout=0.5, read_timeout=1.0, retries={"total_max_attempts": 1})
    with start_moto() as server:
        address = urlsplit(server.url)
        assert address.hostname is not None
        assert address.port is not None
        note_server("moto", f"tier={server.tier} behind a FaultProxy")
        with _proxy(address.hostname, address.port) as proxy:
            endpoint = f"http://{proxy.host}:{proxy.port}"
            keys = {"region_name": "us-east-1", "aws_access_key_id": "testing",
                    "aws_secret_access_key": "testing"}  # fmt: skip
            admin = boto3.client("sqs", endpoint_url=server.url, **keys)  # setup: no proxy
            queue_url = admin.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:6]}")["QueueUrl"]
            sqs = boto3.client("sqs", endpoint_url=endpoint, config=config, **keys)
            queue = SQSQueue(queue_url, sqs)
            results += _rows("Queue (SQS on moto)", 1.0, proxy, lambda: queue.send("x"))
            table = f"bench-{uuid.uuid4().hex[:6]}"
            DynamoDBDocumentStore(
                boto3.client("dynamodb", endpoint_url=server.url, **keys)
            ).create_table(table, "id")
            dynamo = boto3.client("dynamodb", endpoint_url=endpoint, config=config, **keys)
            store = DynamoDBDocumentStore(dynamo)
            results += _rows(
                "DocumentStore (DynamoDB on moto)",
                1.0,
                proxy,
                lambda: store.get(table, {"id": "1"}),
            )
            admin_ssm = boto3.client("ssm", endpoint_url=server.url, **keys)
            admin_ssm.put_parameter(Name="/bench/flag", Value="on", Type="String", Overwrite=True)
            parameters = SSMParameterStore(
                boto3.client("ssm", endpoint_url=endpoint, config=config, **keys)
            )
            results += _rows(
                "ParameterStore (SSM on moto)",
                1.0,
                proxy,
                lambda: parameters.get_parameters(["/bench/flag"]),
            )
            secret = f"bench-{uuid.uuid4().hex[:6]}"
            boto3.client("secretsmanager", endpoint_url=server.url, **keys).create_secret(
                Name=secret, SecretString="s3cr3t"
            )
            secrets = SecretsManagerStore(
                boto3.client("secretsmanager", endpoint_url=endpoint, config=config, **keys)
            )
            results += _rows(
                "SecretStore (Secrets Manager on moto)",
                1.0,
                proxy,
                lambda: secrets.get_secret(secret),
            )


def _http(results: list[Result]) -> None:
    from serpens.testing import serve_asgi  # noqa: PLC0415
    from serpens_contract.http import scenario_app  # noqa: PLC0415
    from serpens_httpx import HttpxHttpClient  # noqa: PLC0415

    with serve_asgi(scenario_app) as base:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        with _proxy(host, int(port)) as proxy, asyncio.Runner() as runner:
            client = HttpxHttpClient(timeout=0.5)
            url = proxy.url_for(base) + "/echo/x"

            def get() -> None:
                runner.run(client.get(url)).raise_for_status()

            results += _rows("HttpClient (httpx)", 0.5, proxy, get)
            runner.run(client.aclose())


def _pubsub(results: list[Result]) -> None:
    import os  # noqa: PLC0415

    from serpens.testing.pubsub_emulator import InProcessPubSubEmulator  # noqa: PLC0415
    from serpens_pubsub import PubSubPublisher  # noqa: PLC0415

    with InProcessPubSubEmulator() as host:
        name, port = host.rsplit(":", 1)
        with _proxy(name, int(port)) as proxy, asyncio.Runner() as runner:
            os.environ["PUBSUB_EMULATOR_HOST"] = f"{proxy.host}:{proxy.port}"
            from google.cloud import pubsub_v1  # noqa: PLC0415

            topic = f"projects/bench/topics/t{uuid.uuid4().hex[:8]}"
            pubsub_v1.PublisherClient().create_topic(name=topic)
            publisher = PubSubPublisher(timeout=1)
            results += _rows(
                "Publisher (Pub/Sub, in-process emulator)",
                1.0,
                proxy,
                lambda: runner.run(publisher.publish(topic, b"x")),
            )
            runner.run(publisher.close())


def main() -> list[Result]:
    """Measure every port through a FaultProxy."""
    results: list[Result] = []
    for run in (_redis, _aws, _http, _pubsub):
        run(results)
    return results


if __name__ == "__main__":
    print_table(main())
