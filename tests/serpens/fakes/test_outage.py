"""Every fake has an outage switch that behaves like its adapter with the backend down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from serpens.errors import BackendTimeoutError, BackendUnavailableError, ValidationError
from serpens.fakes import (
    AsyncInMemoryCache,
    AsyncInMemoryQueue,
    AsyncInMemoryRepository,
    InMemoryCache,
    InMemoryDatabase,
    InMemoryDocumentStore,
    InMemoryHttpClient,
    InMemoryParameterStore,
    InMemoryPublisher,
    InMemoryQueue,
    InMemoryRepository,
    InMemoryResponse,
    InMemorySecretStore,
    RecordedRequest,
)

_TOPIC = "projects/demo/topics/orders"


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    __tablename__ = "outage_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


# -- caches ----------------------------------------------------------------------------


def test_a_strict_cache_raises_on_every_call_and_keeps_its_data() -> None:
    cache = InMemoryCache()
    cache.set("k", 1)
    with cache.outage():
        assert cache.in_outage
        for call in (
            lambda: cache.get("k"),
            lambda: cache.set("k", 2),
            lambda: cache.delete("k"),
            lambda: cache.get_or_set("k", lambda: 3),
            cache.clear,
        ):
            with pytest.raises(BackendUnavailableError, match="simulated outage"):
                call()
        assert cache.keys() == ["k"]  # inspection still works
    assert not cache.in_outage
    assert cache.get("k") == 1  # back, data intact


def test_a_strict_cache_outage_can_be_a_timeout() -> None:
    cache = InMemoryCache()
    cache.start_outage(timeout=True)
    with pytest.raises(BackendTimeoutError):
        cache.get("k")
    cache.end_outage()
    assert cache.get("k") is None


def test_a_fail_open_cache_misses_ignores_writes_and_never_raises() -> None:
    cache = InMemoryCache(fail_open=True)
    cache.set("k", 1)
    calls: list[int] = []

    def factory() -> list[int]:
        calls.append(1)
        return [len(calls)]

    with cache.outage():
        assert cache.get("k") is None
        cache.set("k", 2)
        assert cache.delete("k") is False
        assert cache.get_or_set("other", factory) == [1]  # the fresh value, not stored
        assert cache.get_or_set("other", factory) == [2]  # computed again: nothing cached
        cache.clear()
    assert cache.get("k") == 1  # the write during the outage did nothing
    assert cache.get("other") is None


def test_bad_input_is_still_a_validation_error_during_an_outage() -> None:
    cache = InMemoryCache(fail_open=True)
    with cache.outage(), pytest.raises(ValidationError):
        cache.get("")


async def test_the_async_cache_has_the_same_switch() -> None:
    strict, fail_open = AsyncInMemoryCache(), AsyncInMemoryCache(fail_open=True)
    await strict.set("k", 1)

    async def factory() -> str:
        return "fresh"

    with strict.outage(), fail_open.outage():
        assert strict.in_outage
        assert fail_open.fail_open
        with pytest.raises(BackendUnavailableError):
            await strict.get("k")
        with pytest.raises(BackendUnavailableError):
            await strict.get_or_set("k", factory)
        assert await fail_open.get("k") is None
        assert await fail_open.get_or_set("k", factory) == "fresh"
        await fail_open.set("k", 1)
    assert await strict.get("k") == 1
    assert await fail_open.get("k") is None


# -- queues, publisher ------------------------------------------------------------------


def test_a_queue_outage_raises_and_loses_nothing() -> None:
    queue = InMemoryQueue()
    queue.send("before")
    with queue.outage():
        with pytest.raises(BackendUnavailableError):
            queue.send("lost?")
        with pytest.raises(BackendUnavailableError):
            queue.receive()
        assert queue.pending_bodies() == ["before"]
    (message,) = queue.receive()
    with queue.outage(), pytest.raises(BackendUnavailableError):
        queue.ack(message)
    with queue.outage(timeout=True), pytest.raises(BackendTimeoutError):
        queue.change_visibility(message, 0)
    queue.ack(message)
    assert queue.pending_bodies() == []


async def test_an_async_queue_outage_raises() -> None:
    queue = AsyncInMemoryQueue()
    with queue.outage():
        with pytest.raises(BackendUnavailableError):
            await queue.send("x")
        with pytest.raises(BackendUnavailableError):
            await queue.receive(wait_seconds=0.1)
    await queue.send("x")
    assert [m.body for m in await queue.receive()] == ["x"]


async def test_a_publisher_outage_publishes_nothing() -> None:
    publisher = InMemoryPublisher()
    with publisher.outage(), pytest.raises(BackendUnavailableError):
        await publisher.publish(_TOPIC, b"x")
    with publisher.outage(), pytest.raises(ValidationError):  # invalid input first
        await publisher.publish("", b"x")
    assert publisher.published == []
    await publisher.publish(_TOPIC, b"x")
    assert len(publisher.published) == 1


# -- documents, parameters, secrets, HTTP -------------------------------------------------


def test_a_document_store_outage_raises_on_each_operation() -> None:
    store = InMemoryDocumentStore()
    store.create_table("t", "pk")
    store.put("t", {"pk": "a"})
    calls: list[Callable[[], object]] = [
        lambda: store.put("t", {"pk": "b"}),
        lambda: store.get("t", {"pk": "a"}),
        lambda: store.delete("t", {"pk": "a"}),
        lambda: store.query("t", "a"),
    ]
    with store.outage():
        for call in calls:
            with pytest.raises(BackendUnavailableError):
                call()
    assert store.get("t", {"pk": "a"}) == {"pk": "a"}
    assert store.get("t", {"pk": "b"}) is None


def test_parameter_and_secret_store_outages() -> None:
    parameters = InMemoryParameterStore({"/app/a": "1"})
    secrets = InMemorySecretStore({"s": "v"})
    with parameters.outage(), secrets.outage(timeout=True):
        with pytest.raises(BackendUnavailableError):
            parameters.get_parameters(["/app/a"])
        with pytest.raises(BackendUnavailableError):
            parameters.get_parameters_by_path("/app")
        with pytest.raises(BackendTimeoutError):
            secrets.get_secret("s")
    assert parameters.get_parameters(["/app/a"]) == {"/app/a": "1"}
    assert secrets.get_secret("s") == "v"


async def test_an_http_client_outage_never_reaches_the_app() -> None:
    def handler(request: RecordedRequest) -> InMemoryResponse:
        return InMemoryResponse(200, content=request.content)

    client = InMemoryHttpClient(handler)
    with client.outage(), pytest.raises(BackendUnavailableError):
        await client.get("/x")
    with client.outage(timeout=True), pytest.raises(BackendTimeoutError):
        await client.post("/x", content=b"1")
    assert client.requests == []
    assert (await client.post("/x", content=b"ok")).content == b"ok"


# -- repositories ---------------------------------------------------------------------------


def test_a_database_outage_hits_every_repository_on_it() -> None:
    database = InMemoryDatabase()
    repo = InMemoryRepository(Item, database=database)
    other = InMemoryRepository(Item, database=database)
    repo.add(Item(id=1, name="a"))
    repo.commit()  # other units of work see committed rows only
    calls: list[Callable[[], object]] = [
        lambda: other.get(1),
        lambda: other.get_by(name="a"),
        other.count,
        other.list,
        lambda: other.add(Item(id=2, name="b")),
        lambda: other.upsert({"id": 1, "name": "z"}, conflict_on=["id"]),
        lambda: other.bulk_insert([{"id": 3, "name": "c"}]),
    ]
    with repo.outage():
        assert other.in_outage
        assert database.in_outage
        for call in calls:
            with pytest.raises(BackendUnavailableError):
                call()
    assert other.count() == 1
    assert other.get(1) is not None


async def test_an_async_repository_outage_raises_a_timeout() -> None:
    repo = AsyncInMemoryRepository(Item)
    await repo.add(Item(id=1, name="a"))
    steps: list[Callable[[], Awaitable[Any]]] = [lambda: repo.get(1), repo.count]
    with repo.outage(timeout=True):
        for step in steps:
            with pytest.raises(BackendTimeoutError):
                await step()
    assert await repo.count() == 1


def test_a_users_subclass_is_covered_through_the_fakes_methods() -> None:
    class Items(InMemoryRepository[Item]):
        model = Item

        def names(self) -> list[str]:
            return [item.name for item in self.list()]

    repo = Items()
    repo.add(Item(id=1, name="a"))
    with repo.outage(), pytest.raises(BackendUnavailableError):
        repo.names()
    assert repo.names() == ["a"]


class TestInMemoryOutageKinds:
    """``start_outage()`` without arguments is a refused backend; ``timeout=True`` a silent one.

    The two kinds are different exceptions (``ConnectionError`` vs ``TimeoutError``), as an
    adapter raises them, so retry and fallback code can be tested against each.
    """

    def test_start_outage_defaults_to_an_unreachable_backend(self) -> None:
        store = InMemoryParameterStore({"/app/a": "1"})
        store.start_outage()
        with pytest.raises(BackendUnavailableError) as raised:
            store.get_parameters(["/app/a"])
        assert not isinstance(raised.value, TimeoutError)
        assert isinstance(raised.value, ConnectionError)
        store.end_outage()
        store.start_outage(timeout=True)
        with pytest.raises(BackendTimeoutError) as timed_out:
            store.get_parameters(["/app/a"])
        assert not isinstance(timed_out.value, ConnectionError)
        store.end_outage()
        assert store.get_parameters(["/app/a"]) == {"/app/a": "1"}

    async def test_the_async_cache_start_outage_defaults_to_an_unreachable_backend(
        self,
    ) -> None:
        cache = AsyncInMemoryCache()
        cache.start_outage()
        with pytest.raises(BackendUnavailableError) as raised:
            await cache.get("k")
        assert not isinstance(raised.value, TimeoutError)
        cache.end_outage()
        cache.start_outage(timeout=True)
        with pytest.raises(BackendTimeoutError):
            await cache.get("k")
        cache.end_outage()
        assert await cache.get("k") is None
