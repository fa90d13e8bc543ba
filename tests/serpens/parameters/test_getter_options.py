"""Every option of the parameter and secret getters reaches the store, sync and async.

The async getters run the sync ones in a worker thread: each keyword (``decrypt``,
``transform``, ``force_fetch``, ``recursive``, a secret's ``keyname``) must arrive there,
and each default must be the sync getter's (a cached value served, decrypted values,
a recursive walk). ``set_store`` swaps the store for good, as ``use_store`` does in a
block. Errors name the parameter or secret, never the value. Over the in-memory stores.
"""

from __future__ import annotations

import pickle
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from serpens import parameters, secrets_manager
from serpens.errors import SerializationError
from serpens.fakes import InMemoryParameterStore, InMemorySecretStore

Getter = Callable[..., Awaitable[Any]]


@pytest.fixture(name="store")
def _store() -> Iterator[InMemoryParameterStore]:
    store = InMemoryParameterStore()
    store.put("/app/db/host", "db1")
    store.put("/app/db/password", "s3cret", secure=True)
    store.put("/app/db/pool/size", "10")
    store.put("/app/limits", '{"rps": 5}')
    with parameters.use_store(store):
        yield store


@pytest.fixture(name="secrets")
def _secrets() -> Iterator[InMemorySecretStore]:
    store = InMemorySecretStore()
    store.put("db", '{"user": "app", "port": 5432}')
    store.put("token", "plain-text")
    with secrets_manager.use_store(store):
        yield store


async def _sync(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _forms(sync: Callable[..., Any], asynchronous: Getter) -> list[Any]:
    return [
        pytest.param(lambda *a, **k: _sync(sync, *a, **k), id="sync"),
        pytest.param(asynchronous, id="async"),
    ]


@pytest.mark.parametrize("get", _forms(parameters.get, parameters.aget))
async def test_get_passes_every_option_on(get: Getter, store: InMemoryParameterStore) -> None:
    assert await get("/app/db/password") == "s3cret"
    hidden = await get("/app/db/password", decrypt=False, force_fetch=True)
    assert hidden not in {"s3cret", ""}  # the store's ciphertext, never the value
    assert await get("/app/limits", transform="json") == {"rps": 5}
    assert await get("/app/db/host") == "db1"
    store.put("/app/db/host", "db2")
    assert await get("/app/db/host") == "db1"  # served from the cache by default
    assert await get("/app/db/host", force_fetch=True) == "db2"


@pytest.mark.parametrize("get_many", _forms(parameters.get_many, parameters.aget_many))
async def test_get_many_passes_every_option_on(
    get_many: Getter, store: InMemoryParameterStore
) -> None:
    names = ["/app/db/password", "/app/limits"]
    assert await get_many(names) == {"/app/db/password": "s3cret", "/app/limits": '{"rps": 5}'}
    found = await get_many(names, decrypt=False, transform=None, force_fetch=True)
    assert found["/app/db/password"] != "s3cret"
    parsed = await get_many(["/app/limits", "/app/db/pool/size"], transform="json")
    assert parsed == {"/app/limits": {"rps": 5}, "/app/db/pool/size": 10}
    assert await get_many(["/app/limits"]) == {"/app/limits": '{"rps": 5}'}
    store.put("/app/limits", '{"rps": 9}')
    assert await get_many(["/app/limits"]) == {"/app/limits": '{"rps": 5}'}  # cached
    assert await get_many(["/app/limits"], force_fetch=True) == {"/app/limits": '{"rps": 9}'}


@pytest.mark.parametrize("get_by_path", _forms(parameters.get_by_path, parameters.aget_by_path))
async def test_get_by_path_passes_every_option_on(
    get_by_path: Getter, store: InMemoryParameterStore
) -> None:
    assert await get_by_path("/app/db") == {  # recursive and decrypted by default
        "/app/db/host": "db1",
        "/app/db/password": "s3cret",
        "/app/db/pool/size": "10",
    }
    assert set(await get_by_path("/app/db", recursive=False)) == {
        "/app/db/host",
        "/app/db/password",
    }
    hidden = await get_by_path("/app/db", recursive=False, decrypt=False, force_fetch=True)
    assert hidden["/app/db/password"] != "s3cret"
    assert await get_by_path("/app/db/pool", transform="json") == {"/app/db/pool/size": 10}
    store.put("/app/db/pool/size", "20")
    assert await get_by_path("/app/db/pool") == {"/app/db/pool/size": "10"}  # cached
    assert await get_by_path("/app/db/pool", force_fetch=True) == {"/app/db/pool/size": "20"}


def test_set_store_replaces_the_store_until_set_again() -> None:
    store = InMemoryParameterStore({"/set/x": "1"})
    parameters.set_store(store)
    try:
        assert parameters.get_store() is store
        assert parameters.get("/set/x") == "1"
    finally:
        parameters.set_store(None)
    assert parameters.get_store() is not store


@pytest.mark.parametrize("get", _forms(secrets_manager.get, secrets_manager.aget))
async def test_secret_get_passes_every_option_on(get: Getter, secrets: InMemorySecretStore) -> None:
    assert await get("db") == {"user": "app", "port": 5432}
    assert await get("db", "user") == "app"
    assert await get("db", transform="raw") == '{"user": "app", "port": 5432}'
    assert await get("db", keyname="port", transform="json") == 5432
    with pytest.raises(SerializationError, match="secret 'token' is not valid JSON"):
        await get("token", transform="json")  # insists on JSON: no plain string back
    secrets.put("token", "rotated")
    assert await get("token") == "plain-text"  # served from the cache by default
    assert await get("token", force_fetch=True) == "rotated"


def test_a_missing_key_survives_pickling_whole(secrets: InMemorySecretStore) -> None:
    with pytest.raises(secrets_manager.KeyNotFoundError) as caught:
        secrets_manager.get("db", "password")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is secrets_manager.KeyNotFoundError
    assert (copy.secret_id, copy.key, str(copy)) == ("db", "password", str(caught.value))
