"""OpenTelemetry spans of the executors' fast path, recorded by the real SDK in memory.

The fast path skips ``execute_command``, so serpens records the ``CLIENT`` span an
instrumentation would: named by the command, with the semantic-convention attributes
of the pool's address (TCP or Unix socket) and database, never a key. elastic-apm's
spans are pinned in ``test_apm.py``; here, that they do not depend on OpenTelemetry
being installed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from serpens import _tracing
from serpens_redis import PoolSettings, async_pool
from serpens_redis._pool import (
    _Spans,
    async_executor,
    plain_async_client,
    plain_sync_client,
    sync_executor,
    sync_pool,
)
from tests._apm import RecordedApm, recorded_apm
from tests.serpens._tracing_sdk import _sdk_provider, _spans  # noqa: F401 - fixtures

pytestmark = pytest.mark.redis


@pytest.fixture(name="apm")
def _apm() -> Iterator[RecordedApm]:
    with recorded_apm() as apm:
        yield apm


def _attributes(spans: InMemorySpanExporter) -> list[tuple[str, Any, dict[str, Any]]]:
    return [(s.name, s.kind, dict(s.attributes or {})) for s in spans.get_finished_spans()]


def _where(redis_url: str) -> tuple[str, int]:
    url = urlsplit(redis_url)
    assert url.hostname is not None
    assert url.port is not None
    return url.hostname, url.port


def test_a_sync_command_is_a_client_span_with_the_pools_address(
    spans: InMemorySpanExporter, redis_url: str
) -> None:
    host, port = _where(redis_url)
    url = f"redis://{host}:{port}"  # no database in the URL: the first
    client = plain_sync_client(sync_pool(url, PoolSettings()))
    try:
        assert sync_executor(client)("GET", "redis-test-missing") is None
    finally:
        client.close()
    assert _attributes(spans) == [
        (
            "GET",
            SpanKind.CLIENT,
            {
                "db.system": "redis",
                "db.system.name": "redis",
                "server.address": host,
                "server.port": port,
                "db.namespace": "0",
                "db.operation.name": "GET",
                "db.operation": "GET",
            },
        )
    ]


async def test_an_async_command_is_a_client_span_naming_the_database(
    spans: InMemorySpanExporter, redis_url: str
) -> None:
    host, port = _where(redis_url)
    client = plain_async_client(async_pool(f"redis://{host}:{port}/3", PoolSettings()))
    try:
        assert await async_executor(client)("EXISTS", "redis-test-missing") == 0
    finally:
        await client.aclose(close_connection_pool=True)
    assert _attributes(spans) == [
        (
            "EXISTS",
            SpanKind.CLIENT,
            {
                "db.system": "redis",
                "db.system.name": "redis",
                "server.address": host,
                "server.port": port,
                "db.namespace": "3",
                "db.operation.name": "EXISTS",
                "db.operation": "EXISTS",
            },
        )
    ]


def test_a_unix_socket_pool_names_its_path_and_no_port(
    spans: InMemorySpanExporter, apm: RecordedApm, tmp_path: Any
) -> None:
    path = tmp_path / "absent.sock"
    client = plain_sync_client(sync_pool(f"unix://{path}?db=2", PoolSettings()))
    apm.client.begin_transaction("request")
    try:
        with pytest.raises(redis.ConnectionError):  # nothing listens there
            sync_executor(client)("GET", "k")
    finally:
        client.close()
    apm.client.end_transaction("GET /orders", "success")  # type: ignore[no-untyped-call]
    ((name, kind, attributes),) = _attributes(spans)
    assert (name, kind) == ("GET", SpanKind.CLIENT)
    assert attributes["server.address"] == str(path)
    assert "server.port" not in attributes
    assert attributes["db.namespace"] == "2"
    (span,) = apm.spans()
    assert span["context"]["destination"]["address"] == f"unix://{path}"
    assert span["context"]["destination"].get("port") is None


def test_a_pool_without_an_address_is_named_as_redis_py_connects_it(
    spans: InMemorySpanExporter, apm: RecordedApm
) -> None:
    """A hand-built pool connects to redis-py's defaults: ``localhost:6379``, database 0."""
    recorder = _Spans({}, sync=True, otel=True, apm=True)
    apm.client.begin_transaction("request")
    with recorder.otel("PING"), recorder.apm("PING"):
        pass
    apm.client.end_transaction("job", "success")  # type: ignore[no-untyped-call]
    ((_, _, attributes),) = _attributes(spans)
    assert attributes["server.address"] == "localhost"
    assert attributes["server.port"] == 6379
    assert attributes["db.namespace"] == "0"
    (span,) = apm.spans()
    assert span["context"]["destination"]["address"] == "localhost"
    assert span["context"]["destination"]["port"] == 6379


def test_elastic_apm_spans_do_not_need_opentelemetry_installed(
    apm: RecordedApm, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_tracing, "_installed", False)  # as if opentelemetry were absent
    client = plain_sync_client(sync_pool(redis_url, PoolSettings()))
    apm.client.begin_transaction("task")
    try:
        assert sync_executor(client)("GET", "redis-test-missing") is None
    finally:
        client.close()
    apm.client.end_transaction("job", "success")  # type: ignore[no-untyped-call]
    assert [(s["name"], s["subtype"]) for s in apm.spans()] == [("GET", "redis")]
