"""OpenTelemetry spans over real servers, with the real SDK and an in-memory exporter.

Each test records what a user's collector would receive: span names, kinds, semantic-
convention attributes (never a secret or a cache key), and that a message carries its
trace across a broker into the handler that processes it.
"""

from __future__ import annotations

import http.server
import json
import logging
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.util._once import Once
from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens import _tracing, api, http_client, sqs
from serpens.errors import ConflictError
from serpens.pubsub import AsyncPublisher
from serpens.testing import FaultProxy
from serpens_aws import SQSQueue
from serpens_contract import EmulatorRig
from serpens_httpx import HttpxHttpClient
from serpens_redis import AsyncRedisCache, RedisCache
from serpens_sqlalchemy import SQLAlchemyRepository
from tests._apm import instrumented, recorded_apm
from tests._pubsub_rig import _emulator, _rig  # noqa: F401 - fixtures

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(autouse=True, scope="module")
def _sdk_provider() -> Iterator[None]:
    """An SDK provider for this module, and none left behind for the rest of the suite.

    The API lets a process set its provider once; the teardown resets that global (as
    opentelemetry's own test utilities do) and serpens' cached view of it, so that the
    other modules, which assert exact message attributes and headers, run untraced.
    """
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    yield
    provider.shutdown()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    _tracing._state = _tracing._UNKNOWN


@pytest.fixture(name="spans")
def _spans() -> Iterator[InMemorySpanExporter]:
    """The module's exporter, emptied before and after each test."""
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _named(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    matches = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(matches) == 1, [s.name for s in exporter.get_finished_spans()]
    return matches[0]


def _traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


# ----------------------------------------------------------------- Pub/Sub -> api.handler


async def test_a_publish_carries_its_trace_to_the_api_handler(
    spans: InMemorySpanExporter, rig: EmulatorRig
) -> None:
    topic = f"projects/serpens-test/topics/t{uuid.uuid4().hex[:12]}"
    rig.create_topic(topic)
    async with AsyncPublisher(timeout=5) as publisher:
        await publisher.publish(topic, {"n": 1}, attributes={"kind": "order"})
    producer = _named(spans, f"{topic.rsplit('/', 1)[-1]} publish")
    assert producer.kind is SpanKind.PRODUCER
    assert dict(producer.attributes or {}) == {
        "messaging.system": "gcp_pubsub",
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
    }
    (received,) = rig.read(topic, 1)
    assert received.attributes["kind"] == "order"
    assert received.attributes["traceparent"] == _traceparent(producer)

    seen: list[str | None] = []

    @api.handler
    def push(request: api.Request) -> dict[str, str]:
        seen.append(_tracing.current_trace_id())
        return {"ok": "yes"}

    event = {
        "httpMethod": "POST",
        "resource": "/push",
        "path": "/push",
        "headers": {"Traceparent": received.attributes["traceparent"]},
        "requestContext": {"requestId": "req-1"},
        "body": "{}",
    }
    assert push(event)["statusCode"] == 200
    server = _named(spans, "POST /push")
    assert server.kind is SpanKind.SERVER
    assert server.parent is not None
    assert server.parent.span_id == producer.context.span_id
    assert seen == [f"{producer.context.trace_id:032x}"]
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/push"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["faas.invocation_id"] == "req-1"


def test_an_api_handler_without_incoming_context_starts_a_trace(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    @api.handler
    def broken(request: api.Request) -> None:
        raise RuntimeError("boom")

    event = {
        "version": "2.0",
        "routeKey": "GET /items/{id}",
        "rawPath": "/items/1",
        "headers": {},
        "requestContext": {"requestId": "req-2", "http": {"method": "GET"}},
    }
    with caplog.at_level(logging.ERROR, logger="serpens.api"):
        assert broken(event)["statusCode"] == 500
    server = _named(spans, "GET /items/{id}")
    assert server.parent is None
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 500
    logged = [r for r in caplog.records if r.name == "serpens.api"]
    assert logged
    assert logged[0].request_id == "req-2"  # type: ignore[attr-defined]
    assert logged[0].trace_id == f"{server.context.trace_id:032x}"  # type: ignore[attr-defined]


def test_a_malformed_event_is_a_400_with_its_span(spans: InMemorySpanExporter) -> None:
    @api.handler
    def handler(request: api.Request) -> dict[str, str]:
        return {"ok": "yes"}

    assert handler("not an event", None)["statusCode"] == 400  # type: ignore[arg-type]
    invoke = _named(spans, "lambda invoke")
    assert invoke.attributes is not None
    assert invoke.attributes["http.response.status_code"] == 400


# ---------------------------------------------------------------------- SQS -> sqs.handler


def _lambda_event(sqs_client: Any, queue_url: str) -> dict[str, Any]:
    """What Lambda hands the function for the next message of *queue_url*."""
    answer = sqs_client.receive_message(
        QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )
    (message,) = answer["Messages"]
    attributes = {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    name = queue_url.rsplit("/", 1)[-1]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{name}",
            }
        ]
    }


@pytest.fixture(name="queue_url")
def _queue_url(moto_endpoint: str) -> tuple[Any, str]:
    client = boto3.client("sqs", endpoint_url=moto_endpoint)
    url = client.create_queue(QueueName=f"otel-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return client, url


def test_a_send_carries_its_trace_to_the_sqs_handler(
    spans: InMemorySpanExporter,
    queue_url: tuple[Any, str],
) -> None:
    client, url = queue_url
    name = url.rsplit("/", 1)[-1]
    queue = SQSQueue(url, client=client)
    message_id = queue.send('{"n": 1}', attributes={"kind": "order"})
    producer = _named(spans, f"{name} send")
    assert producer.kind is SpanKind.PRODUCER
    assert producer.attributes is not None
    assert producer.attributes["messaging.system"] == "aws_sqs"
    assert producer.attributes["messaging.destination.name"] == name
    assert producer.attributes["messaging.message.id"] == message_id
    event = _lambda_event(client, url)
    assert event["Records"][0]["messageAttributes"]["kind"]["stringValue"] == "order"

    @sqs.handler
    def process(record: sqs.Record) -> None:
        raise ValueError("cannot process")

    assert process(event, None) == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    consumer = _named(spans, f"{name} process")
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.attributes is not None
    assert consumer.attributes["messaging.message.id"] == message_id
    assert consumer.status.is_ok is False


def test_failed_records_are_logged_with_message_and_trace_ids(
    spans: InMemorySpanExporter,
    queue_url: tuple[Any, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, url = queue_url
    sqs.publish_message(url, {"n": 2})
    producer = _named(spans, f"{url.rsplit('/', 1)[-1]} send")
    event = _lambda_event(client, url)

    @sqs.handler
    def process(record: sqs.Record) -> None:
        logging.getLogger("serpens.sqs").warning("processing")
        raise ValueError("cannot process")

    with caplog.at_level(logging.INFO, logger="serpens.sqs"):
        answer = process(event, None)
    message_id = event["Records"][0]["messageId"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    inside = next(r for r in caplog.records if r.getMessage() == "processing")
    assert inside.message_id == message_id  # type: ignore[attr-defined]
    assert inside.trace_id == f"{producer.context.trace_id:032x}"  # type: ignore[attr-defined]
    failure = next(r for r in caplog.records if "failed" in r.getMessage())
    assert failure.message_id == message_id  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------- Redis


async def test_cache_commands_are_client_spans_without_keys(
    spans: InMemorySpanExporter, redis_url: str
) -> None:
    cache = AsyncRedisCache.from_url(redis_url, prefix=f"otel{uuid.uuid4().hex[:6]}")
    try:
        await cache.set("user:42:email", "a@example.com")
        assert await cache.get("user:42:email") == "a@example.com"
    finally:
        await cache.aclose()
    names = [s.name for s in spans.get_finished_spans()]
    assert names == ["SET", "GET"]
    get = _named(spans, "GET")
    assert get.kind is SpanKind.CLIENT
    attributes = dict(get.attributes or {})
    assert attributes["db.system"] == "redis"
    assert attributes["db.operation.name"] == "GET"
    assert attributes["server.address"] == "127.0.0.1" or attributes["server.address"]
    assert "server.port" in attributes
    assert not any("user:42" in str(value) for value in attributes.values())


def test_the_sync_cache_is_traced_too(spans: InMemorySpanExporter, redis_url: str) -> None:
    cache = RedisCache.from_url(redis_url, prefix=f"otel{uuid.uuid4().hex[:6]}")
    try:
        assert cache.get("missing") is None
    finally:
        cache.close()
    assert [s.name for s in spans.get_finished_spans()] == ["GET"]


# --------------------------------------------------------------------------- repository


class _Base(DeclarativeBase):
    pass


class Note(_Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


def test_repository_calls_are_spans_named_by_method_and_table(
    spans: InMemorySpanExporter,
) -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        repo = SQLAlchemyRepository[Note](session, Note)
        repo.add(Note(id=1, text="secret text"))
        assert repo.get(1) is not None
        assert repo.count() == 1
    engine.dispose()
    assert [s.name for s in spans.get_finished_spans()] == ["add notes", "get notes", "count notes"]
    add = _named(spans, "add notes")
    assert dict(add.attributes or {}) == {
        "db.system": "sqlite",
        "db.system.name": "sqlite",
        "db.collection.name": "notes",
        "db.operation.name": "add",
    }


def test_a_failed_repository_call_marks_its_span(spans: InMemorySpanExporter) -> None:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        repo = SQLAlchemyRepository[Note](session, Note)
        repo.add(Note(id=1, text="a"))
        with pytest.raises(ConflictError):
            repo.add(Note(id=1, text="b"))
    engine.dispose()
    failed = [s for s in spans.get_finished_spans() if s.name == "add notes"][1]
    assert failed.status.is_ok is False
    assert failed.events[0].name == "exception"


# --------------------------------------------------------------------------------- HTTP


class _Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"traceparent": self.headers.get("traceparent")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(name="echo_url")
def _echo_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_http_requests_are_client_spans_with_masked_urls(
    spans: InMemorySpanExporter, echo_url: str
) -> None:
    url = echo_url.replace("http://", "http://alice:hunter2@") + "/items?token=abc"
    async with HttpxHttpClient(timeout=5) as client:
        response = await client.get(url)
    span = _named(spans, "GET")
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert attributes["server.address"] == "127.0.0.1"
    assert "hunter2" not in str(attributes)
    assert "abc" not in str(attributes["url.full"])
    assert response.json()["traceparent"] == _traceparent(span)


async def test_the_shared_client_records_the_same_span_and_carries_the_trace(
    spans: InMemorySpanExporter, echo_url: str
) -> None:
    client = await http_client.init_client(base_url=echo_url, timeout=5)
    try:
        response = await client.get("/orders?token=abc", headers={"X-Id": "1"})
        async with client.stream("GET", "/stream") as streamed:
            await streamed.aread()
    finally:
        await http_client.close_client()
    get, stream = spans.get_finished_spans()
    assert (get.name, get.kind) == ("GET", SpanKind.CLIENT)
    port = int(echo_url.rsplit(":", 1)[1])
    assert dict(get.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": f"{echo_url}/orders?token=***",
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": 200,
    }
    assert response.json()["traceparent"] == _traceparent(get)
    assert streamed.json()["traceparent"] == _traceparent(stream)
    assert stream.name == "GET"


async def test_the_adapter_over_the_shared_client_records_one_span_per_request(
    spans: InMemorySpanExporter, echo_url: str
) -> None:
    shared = await http_client.init_client(timeout=5)
    try:
        response = await HttpxHttpClient(shared).get(f"{echo_url}/x")
    finally:
        await http_client.close_client()
    (span,) = spans.get_finished_spans()
    assert response.json()["traceparent"] == _traceparent(span)


async def test_the_adapter_over_a_plain_httpx_client_records_the_span_itself(
    spans: InMemorySpanExporter, echo_url: str
) -> None:
    async with httpx.AsyncClient(base_url=echo_url) as raw:
        response = await HttpxHttpClient(raw).get("/x", params={"api_key": "k1"})
    span = _named(spans, "GET")
    assert response.json()["traceparent"] == _traceparent(span)
    attributes = dict(span.attributes or {})
    assert attributes["url.full"] == f"{echo_url}/x?api_key=***"
    assert attributes["http.response.status_code"] == 200


async def test_a_refused_request_is_a_failed_span(
    spans: InMemorySpanExporter, echo_url: str
) -> None:
    host, port = echo_url.removeprefix("http://").split(":")
    with FaultProxy(upstream=(host, int(port))) as proxy:
        client = await http_client.init_client(timeout=5)
        try:
            with proxy.refuse(), pytest.raises(httpx.ConnectError):
                await client.get(proxy.url_for(echo_url))
        finally:
            await http_client.close_client()
    span = _named(spans, "GET")
    assert span.status.is_ok is False
    assert span.events[0].name == "exception"


# ------------------------------------------------------------------ with elastic-apm too


async def test_a_cache_command_is_a_span_of_both_tracers(
    spans: InMemorySpanExporter, redis_url: str
) -> None:
    cache = AsyncRedisCache.from_url(redis_url, prefix=f"otel{uuid.uuid4().hex[:6]}")
    with recorded_apm() as apm:
        apm.client.begin_transaction("request")
        try:
            assert await cache.get("missing") is None
        finally:
            await cache.aclose()
        apm.client.end_transaction("GET /orders", "success")
    assert [s.name for s in spans.get_finished_spans()] == ["GET"]
    assert [(s["name"], s["subtype"]) for s in apm.spans()] == [("GET", "redis")]


# ------------------------------------------------------------------------ no opentelemetry


def test_without_opentelemetry_nothing_imports_it_and_handlers_run(tmp_path: Any) -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, logging, sys

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "opentelemetry":
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, Absent())
        from serpens import _tracing, api, http_client, sqs

        assert _tracing.enabled() is False
        with _tracing.span("x") as s:
            assert s is None
        assert _tracing.inject({}) == {}
        assert _tracing.current_trace_id() is None

        def process(record):
            return None

        assert sqs.handler(process)({"Records": [{"messageId": "m", "body": "{}"}]}) is None
        ok = api.handler(lambda request: {"ok": True})
        assert ok({"httpMethod": "GET", "path": "/"})["statusCode"] == 200
        assert not [m for m in sys.modules if m.startswith("opentelemetry")]
        print("clean")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_the_helpers_are_typed_for_both_paths(spans: InMemorySpanExporter) -> None:
    carrier: dict[str, str] = {}
    with _tracing.span("outer", _tracing.INTERNAL, {"a": 1, "dropped": None}):
        _tracing.inject(carrier)
    outer = _named(spans, "outer")
    assert dict(outer.attributes or {}) == {"a": 1}
    assert carrier["traceparent"] == _traceparent(outer)
    consume: Callable[..., Any] = _tracing.consumer_span
    with consume("inner", {"traceparent": carrier["traceparent"], "other": b"x"}):
        pass
    inner = _named(spans, "inner")
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id


class _EchoAll(_Echo):
    def do_GET(self) -> None:
        body = json.dumps({"traceparent": self.headers.get_all("traceparent") or []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


async def test_with_elastic_apm_tracing_the_request_it_carries_one_traceparent(
    spans: InMemorySpanExporter,
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoAll)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/x"
    httpcore = "elasticapm.instrumentation.packages.httpx.async.httpcore"
    try:
        with recorded_apm() as apm, instrumented(f"{httpcore}.HTTPCoreAsyncInstrumentation"):
            async with HttpxHttpClient(timeout=5) as client:
                apm.client.begin_transaction("request")
                traced = (await client.get(url)).json()["traceparent"]
                apm.client.end_transaction("GET /", "success")
                untraced = (await client.get(url)).json()["traceparent"]
    finally:
        server.shutdown()
        server.server_close()
    first, second = spans.get_finished_spans()  # the OpenTelemetry spans are still recorded
    assert len(traced) == 1  # elastic-apm's, not a second one beside OpenTelemetry's
    assert traced != [_traceparent(first)]
    assert untraced == [_traceparent(second)]  # no transaction: OpenTelemetry's
