"""OpenTelemetry client spans over real servers, with the real SDK and an in-memory exporter.

Each test records what a user's collector would receive from the cache (Redis), the
repository (SQLAlchemy) and the HTTP clients: span names, kinds, semantic-convention
attributes (never a secret or a cache key), failures marked on their span, and the
``traceparent`` an HTTP request carries to the server.
"""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from serpens import http_client
from serpens.errors import ConflictError
from serpens.testing import FaultProxy
from serpens_httpx import HttpxHttpClient
from serpens_redis import AsyncRedisCache, RedisCache
from serpens_sqlalchemy import SQLAlchemyRepository
from tests.serpens._tracing_sdk import (  # noqa: F401 - fixtures
    _Echo,
    _named,
    _sdk_provider,
    _spans,
    _traceparent,
)

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
