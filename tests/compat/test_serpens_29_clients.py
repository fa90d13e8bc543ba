"""Code written for serpens 2.9.0 keeps running unchanged: its service clients.

Each test is a 2.9.0 call site of Secrets Manager, the Redis cache, the document store
or the shared HTTP client, run against real servers (moto, Redis), and the errors
2.9.0 callers catch when they use a client before initialising it.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from serpens import secrets_manager
from serpens.errors import NotFoundError, SerpensError, ValidationError


class _Color(enum.Enum):
    RED = "red"


# --------------------------------------------------------------------------- Secrets


def test_secrets_manager_get_returns_a_json_secret_parsed(moto_endpoint: str) -> None:
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
    name = f"compat/{uuid.uuid4().hex[:8]}"
    client.create_secret(Name=name, SecretString=json.dumps({"user": "app", "password": "pw"}))
    secrets_manager.set_store(None)  # Secrets Manager, as in production
    try:
        assert secrets_manager.get(name) == {"user": "app", "password": "pw"}
        assert secrets_manager.get(name, "password") == "pw"
    finally:
        secrets_manager.set_store(None)


def _caught_as_2_9_caught_it(
    call: Callable[[], object], name: str, code: str, operation: str
) -> None:
    """*call* raises what 2.9.0's ``except ClientError`` caught, and a ``NotFoundError``."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    with pytest.raises(ClientError) as raised:  # 2.9.0's except clause
        call()
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.operation_name == operation
    assert isinstance(raised.value, NotFoundError)
    assert name in str(raised.value)


class TestMissingSecretsAndParameters:
    """2.9.0 let botocore's ``ClientError`` (and ``KeyError``) through; both still catch."""

    def test_a_missing_secret_is_caught_as_2_9_caught_it(self, moto_endpoint: str) -> None:
        name = f"compat/{uuid.uuid4().hex[:8]}"
        secrets_manager.set_store(None)  # Secrets Manager, as in production
        try:
            _caught_as_2_9_caught_it(
                lambda: secrets_manager.get(name),
                name,
                "ResourceNotFoundException",
                "GetSecretValue",
            )
        finally:
            secrets_manager.set_store(None)

    def test_a_missing_key_of_a_json_secret_is_a_key_error(self, moto_endpoint: str) -> None:
        client = boto3.client("secretsmanager", endpoint_url=moto_endpoint)
        name = f"compat/{uuid.uuid4().hex[:8]}"
        client.create_secret(Name=name, SecretString=json.dumps({"user": "app", "pw": "S3CRET"}))
        secrets_manager.set_store(None)
        try:
            with pytest.raises(KeyError) as raised:  # 2.9.0: result[keyname]
                secrets_manager.get(name, "password")
            assert isinstance(raised.value, NotFoundError)
            assert "password" in str(raised.value)
            assert "S3CRET" not in str(raised.value)
        finally:
            secrets_manager.set_store(None)

    def test_a_missing_parameter_is_caught_as_2_9_caught_it(self, moto_endpoint: str) -> None:
        from serpens import parameters  # noqa: PLC0415

        name = f"/compat/{uuid.uuid4().hex[:8]}"
        parameters.set_store(None)  # SSM, as in production
        try:
            _caught_as_2_9_caught_it(
                lambda: parameters.get(name), name, "ParameterNotFound", "GetParameter"
            )
        finally:
            parameters.set_store(None)

    def test_a_missing_secret_in_a_store_other_than_aws_answers_as_aws_would(self) -> None:
        """A fake store's missing secret carries the answer Secrets Manager gives.

        What a 2.9.0 handler reads of it (code, operation, HTTP status) is AWS's, and it
        survives pickling (a worker process re-raising it, for one).
        """
        import pickle  # noqa: PLC0415

        from botocore.exceptions import ClientError  # noqa: PLC0415

        from serpens.fakes import InMemorySecretStore  # noqa: PLC0415

        secrets_manager.set_store(InMemorySecretStore())
        try:
            with pytest.raises(ClientError) as raised:
                secrets_manager.get("compat/none")
        finally:
            secrets_manager.set_store(None)
        error = raised.value
        for seen in (error, pickle.loads(pickle.dumps(error))):
            assert isinstance(seen, NotFoundError)
            assert seen.response["Error"] == {
                "Code": "ResourceNotFoundException",
                "Message": "Secrets Manager can't find the specified secret.",
            }
            assert seen.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            assert seen.operation_name == "GetSecretValue"
            assert "compat/none" in str(seen)


# --------------------------------------------------------------------------- use before init


class TestUseBeforeInit:
    def test_http_client_get_client_before_init_client(self) -> None:
        from serpens.http_client import get_client  # noqa: PLC0415

        with pytest.raises(RuntimeError) as raised:
            get_client()
        assert isinstance(raised.value, SerpensError)

    async def test_redis_cache_before_redis_init(self) -> None:
        from serpens.cache import redis_get, redis_get_client  # noqa: PLC0415

        with pytest.raises(RuntimeError):
            redis_get_client()
        with pytest.raises(RuntimeError):
            await redis_get("k")

    def test_database_session_before_bind(self) -> None:
        from serpens.database import SessionLocal  # noqa: PLC0415

        with pytest.raises(RuntimeError) as raised:
            SessionLocal()
        assert isinstance(raised.value, SerpensError)


async def test_redis_cache_readme_calls(redis_url: str) -> None:
    from serpens.cache import (  # noqa: PLC0415
        redis_cached,
        redis_close,
        redis_delete,
        redis_get,
        redis_init,
        redis_set,
    )

    await redis_init(redis_url)
    try:
        await redis_set("user:42", {"name": "Ana"}, ttl=60)
        assert await redis_get("user:42") == {"name": "Ana"}
        calls: list[str] = []

        @redis_cached("products", ttl=600)
        async def get_product(slug: str) -> dict[str, str]:
            calls.append(slug)
            return {"slug": slug}

        # a slug of its own: the entry outlives the test (600 s), and a shared server keeps it
        slug = uuid.uuid4().hex
        assert await get_product(slug) == await get_product(slug) == {"slug": slug}
        assert calls == [slug]
        await redis_delete(f"products:{slug}")  # how 2.9 services invalidate: the readable key
        assert await get_product(slug) == {"slug": slug}
        assert calls == [slug, slug]
        await redis_delete(f"products:{slug}")
    finally:
        await redis_close()


async def test_redis_values_are_encoded_as_2_9_encoded_them(redis_url: str) -> None:
    """2.9.0 stored ``json.dumps(value, default=str)``: what JSON has no form for, as text."""
    from serpens.cache import (  # noqa: PLC0415
        redis_cached,
        redis_cached_get_or_set,
        redis_close,
        redis_get,
        redis_init,
        redis_set,
    )

    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    value = {"price": Decimal("0.1"), "at": when, "color": _Color.RED, "tags": {"a"}, "b": b"x"}
    expected = json.loads(json.dumps(value, default=str))  # 2.9.0's encoding
    assert expected["price"] == "0.1"
    assert expected["at"] == "2024-01-02 03:04:05+00:00"
    await redis_init(redis_url)
    try:
        key = f"compat:{uuid.uuid4().hex}"
        await redis_set(key, value, ttl=60)  # no SerializationError, as in 2.9.0
        assert await redis_get(key) == expected

        @redis_cached(f"compat-{uuid.uuid4().hex[:8]}", ttl=60)
        async def price() -> dict[str, Any]:
            return value

        assert await price() == await price() == expected

        async def fetch() -> dict[str, Any]:
            return value

        assert await redis_cached_get_or_set(f"compat:{uuid.uuid4().hex}", 60, fetch) == expected
    finally:
        await redis_close()


# --------------------------------------------------------------------------- errors


def test_validation_errors_are_value_errors() -> None:
    assert issubclass(ValidationError, ValueError)


# --------------------------------------------------------------------------- documents, HTTP log


class TestDocumentsAndHttpLog:
    """2.9.0's README calls of serpens.document and serpens.http_client, made safe."""

    @pytest.fixture(name="person_table")
    def _person_table(self, moto_endpoint: str) -> str:
        table = f"compat-person-{uuid.uuid4().hex[:8]}"
        boto3.client("dynamodb", endpoint_url=moto_endpoint).create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return table

    def test_save_of_a_number_dynamodb_cannot_store_is_a_validation_error(
        self, person_table: str
    ) -> None:
        """2.9.0 let boto3's ``decimal.Overflow`` through; the in-memory store accepted it."""
        from serpens.document import BaseDocument  # noqa: PLC0415

        @dataclass
        class PersonDocument(BaseDocument):
            _table_name_ = person_table
            id: str
            height: float = 0.0

        with pytest.raises(ValidationError) as caught:
            PersonDocument(id="1", height=1e308).save()
        assert [e.path for e in caught.value.errors] == ["item.height"]
        PersonDocument(id="1", height=1.62).save()
        assert PersonDocument.get_by_key({"id": "1"}) == PersonDocument(id="1", height=1.62)

    def test_get_by_key_refuses_a_stored_value_of_the_wrong_type(self, person_table: str) -> None:
        """2.9.0's Schema check raised TypeError; now a ValidationError naming the field."""
        from serpens.document import BaseDocument  # noqa: PLC0415

        @dataclass
        class PersonDocument(BaseDocument):
            _table_name_ = person_table
            id: str
            name: str

        boto3.client("dynamodb").put_item(
            TableName=person_table, Item={"id": {"S": "1"}, "name": {"N": "5"}}
        )
        with pytest.raises(ValidationError, match="'name' does not fit PersonDocument"):
            PersonDocument.get_by_key({"id": "1"})

    async def test_the_shared_client_logs_request_urls_with_secrets_masked(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        import logging  # noqa: PLC0415

        from serpens.http_client import close_client, get_client, init_client  # noqa: PLC0415
        from serpens.testing import serve_asgi  # noqa: PLC0415

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

        caplog.set_level(logging.INFO, logger="httpx")
        with serve_asgi(app, lifespan="off") as url:
            await close_client()
            await init_client()
            try:
                await get_client().get(url.replace("//", "//svc:S3CRET@") + "/?token=TKN123")
            finally:
                await close_client()
        logged = " ".join(r.getMessage() for r in caplog.records if r.name == "httpx")
        assert "svc:***@" in logged
        assert "token=***" in logged
        assert "S3CRET" not in logged
        assert "TKN123" not in logged
