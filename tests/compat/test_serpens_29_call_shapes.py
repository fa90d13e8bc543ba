"""Code written for serpens 2.9.0, as its README shows it, keeps running unchanged.

Each test is a 2.9.0 call site taken from the specification's examples (or from the
behaviour services observed on 2.9.0), run against real servers: moto for SQS and
Secrets Manager, PostgreSQL and Redis from ``serpens.testing``. A failure here means a
service pinned to 2.9.0 breaks on upgrade; change the library, not this module (the
deliberate differences are listed in docs/migrating-from-2.9.md and pinned at the end).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from google.api_core.exceptions import NotFound
from google.cloud import pubsub_v1

from serpens import api, csvutils, pubsub, secrets_manager, sqs
from serpens.errors import NotFoundError, SerpensError, ValidationError
from serpens.schema import Schema
from serpens.testing.sqs_events import poll_once, sqs_event, sqs_record

# --------------------------------------------------------------------------- SQS


@pytest.fixture(name="sqs_client")
def _sqs_client(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint)


@pytest.fixture(name="queue_url")
def _queue_url(sqs_client: Any) -> Iterator[str]:
    url = sqs_client.create_queue(QueueName=f"compat-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    yield url
    sqs_client.delete_queue(QueueUrl=url)


class TestSqs:
    def test_the_readme_handler_reads_record_body_as_decoded_json(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        seen: list[dict[str, Any]] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            seen.append(
                {
                    "id": record.body["id"],  # 2.9.0: body is the decoded JSON
                    "message_id": record.data["messageId"],  # 2.9.0: data is the raw record
                    "attributes": record.message_attributes["kind"]["stringValue"],
                    "queue": record.queue_name,
                    "sent": record.sent_datetime,
                }
            )

        sqs.publish_message(queue_url, {"id": 7}, None, {"kind": "order"})
        assert poll_once(message_processor, sqs_client, queue_url) == []
        (one,) = seen
        assert one["id"] == 7
        assert one["message_id"]
        assert one["attributes"] == "order"
        assert one["queue"] == queue_url.rsplit("/", 1)[-1]
        assert one["sent"].tzinfo is UTC  # deliberate: aware, was naive local time

    def test_a_body_that_is_not_json_stays_a_string(self) -> None:
        assert sqs.Record(sqs_record("plain text")).body == "plain text"

    def test_the_batch_response_reports_failed_records(self) -> None:
        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            if record.body["amount"] < 0:
                raise ValueError("negative")

        event = sqs_event(
            sqs_record('{"amount": 1}', message_id="ok"),
            sqs_record('{"amount": -1}', message_id="bad"),
        )
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}

    def test_outside_aws_the_exception_propagates(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")

        @sqs.handler
        def message_processor(record: sqs.Record) -> None:
            raise LookupError(record.body)

        with pytest.raises(LookupError):
            message_processor(sqs_event(sqs_record("x")), None)

    def test_publish_helpers_take_the_2_9_positional_shapes(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        answer = sqs.publish_message(queue_url, "hello", None, {"n": 1})
        assert answer["MessageId"]
        sqs.publish_message_batch(
            queue_url, [{"body": {"i": i}, "attributes": {}} for i in range(3)]
        )
        attributes = sqs.build_message_attributes({"s": "x", "n": 2, "b": b"\x01"})
        assert [v["DataType"] for v in attributes.values()] == ["String", "Number", "Binary"]
        with pytest.raises(ValueError):
            sqs.build_message_attributes({"bad": object()})
        received = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert len(received["Messages"]) >= 1


# --------------------------------------------------------------------------- Pub/Sub


class TestPubSub:
    """2.9.0's ``serpens.pubsub`` call sites, read back through google-cloud-pubsub."""

    @pytest.fixture(name="topic")
    def _topic(self, pubsub_emulator_host: str) -> Iterator[tuple[str, Any]]:
        topic = f"projects/compat/topics/t{uuid.uuid4().hex[:10]}"
        subscription = topic.replace("/topics/", "/subscriptions/")
        pubsub_v1.PublisherClient().create_topic(name=topic)
        subscriber = pubsub_v1.SubscriberClient()
        subscriber.create_subscription(name=subscription, topic=topic)
        yield topic, lambda n: _pull(subscriber, subscription, n)
        subscriber.close()

    def test_publish_helpers_take_the_2_9_shapes(self, topic: tuple[str, Any]) -> None:
        name, pull = topic
        pubsub.publish_message(name, {"id": 1}, "order-1", {"kind": "created"})
        pubsub.publish_message(name, "plain", ordering_key="")
        pubsub.publish_message(f"{name}:webhook", {"id": 2})
        pubsub.publish_message_batch(
            name, [{"body": {"id": 3}, "attributes": {"kind": "batch"}}, {"body": "four"}], ""
        )
        got = {m.data: (dict(m.attributes), m.ordering_key) for m in pull(5)}
        assert got == {
            b'{"id":1}': ({"kind": "created"}, "order-1"),
            b"plain": ({}, ""),
            b'{"id":2}': ({"endpoint": "webhook"}, ""),
            b'{"id":3}': ({"kind": "batch"}, ""),
            b"four": ({}, ""),
        }

    async def test_async_publisher_default_key(self, topic: tuple[str, Any]) -> None:
        name, pull = topic
        publisher = pubsub.AsyncPublisher(ordering_key="tenant-7")
        await publisher.publish(name, {"id": 1})
        publisher.close()
        (message,) = pull(1)
        assert message.ordering_key == "tenant-7"

    def test_a_missing_topic_is_google_s_not_found(self, pubsub_emulator_host: str) -> None:
        with pytest.raises(NotFound) as caught:  # what 2.9.0 services catch
            pubsub.publish_message("projects/compat/topics/never-created", "x")
        assert isinstance(caught.value, NotFoundError)


def _pull(subscriber: Any, subscription: str, expected: int) -> list[Any]:
    messages: list[Any] = []
    for _ in range(50):
        if len(messages) >= expected:
            break
        answer = subscriber.pull(subscription=subscription, max_messages=10, timeout=5)
        if answer.received_messages:
            subscriber.acknowledge(
                subscription=subscription, ack_ids=[r.ack_id for r in answer.received_messages]
            )
        messages += [r.message for r in answer.received_messages]
    return messages


# --------------------------------------------------------------------------- Lambda API


def _event(body: str = '{"name": "Mike"}') -> dict[str, Any]:
    return {
        "httpMethod": "POST",
        "path": "/users/42",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": {"page": "2"},
        "pathParameters": {"user_id": "42"},
        "requestContext": {
            "authorizer": {"claims": {"sub": "u1"}},
            "identity": {"sourceIp": "10.0.0.1"},
        },
        "body": body,
    }


class TestLambdaApi:
    def test_the_readme_handler_and_request_fields(self) -> None:
        seen: dict[str, Any] = {}

        @api.handler
        def lambda_handler(request: api.Request):
            seen["body"] = request.body
            seen["user_id"] = request.path.user_id  # AttrDict shortcut
            seen["page"] = request.query["page"]
            seen["authorizer"] = request.authorizer
            seen["identity"] = request.identity
            seen["headers"] = request.headers
            return {"ok": True}

        response = lambda_handler(_event(), None)
        assert list(response) == ["statusCode", "body", "headers"]
        assert response["statusCode"] == 200
        assert json.loads(response["body"]) == {"ok": True}
        assert response["headers"]["Access-Control-Allow-Origin"] == "*"
        assert seen["body"] == {"name": "Mike"}
        assert (seen["user_id"], seen["page"]) == ("42", "2")

    def test_status_body_tuples_and_response_objects(self) -> None:
        @api.handler
        def created(request: api.Request):
            return 201, {"id": 1}

        @api.handler
        def explicit(request: api.Request):
            return api.Response(statusCode=202, body={"queued": True})

        assert created(_event(), None)["statusCode"] == 201
        assert explicit(_event(), None)["statusCode"] == 202
        response = api.Response(200, {"a": 1})
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # 2.9.0's headers

    def test_async_handler(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return {"echo": request.body}

        assert json.loads(lambda_handler(_event(), None)["body"]) == {"echo": {"name": "Mike"}}

    def test_errors_answer_500_with_a_message_key(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            raise RuntimeError("database password is hunter2")

        response = lambda_handler(_event(), None)
        assert response["statusCode"] == 500
        body = json.loads(response["body"])
        assert "message" in body
        assert "hunter2" not in response["body"]  # deliberate: no exception text


# --------------------------------------------------------------------------- Schema


@dataclass
class Person(Schema):
    name: str
    age: int


class TestSchema:
    def test_the_readme_calls(self) -> None:
        assert Person.load({"name": "Mike", "age": 18}) == Person("Mike", 18)
        assert Person.loads('{"name": "Mike", "age": 18}') == Person("Mike", 18)
        assert Person("Mike", 18).dump() == {"name": "Mike", "age": 18}
        assert json.loads(Person("Mike", 18).dumps()) == {"name": "Mike", "age": 18}
        assert Person.dump([Person("Mike", 18)], many=True) == [{"name": "Mike", "age": 18}]

    def test_wrong_types_raise_type_error_with_the_2_9_wording(self) -> None:
        with pytest.raises(TypeError) as constructed:
            Person("Mike", "18")  # type: ignore[arg-type]
        assert constructed.value.args == ("'age' must be of type int",)
        with pytest.raises(TypeError) as loaded:
            Person.load({"name": "Mike", "age": "18"})
        assert loaded.value.args == ("'age' must be of type int",)
        with pytest.raises(TypeError) as missing:
            Person.load({"name": "Mike"})
        assert missing.value.args == ("'age' is a required field",)


# --------------------------------------------------------------------------- CSV


class TestCsv:
    def test_the_readme_calls(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        Path("fruits.csv").write_bytes("id;name;price\n1;Açaí;-12.50\n".encode("iso-8859-1"))
        rows = list(csvutils.open_csv_reader("fruits.csv"))
        assert rows == [{"id": "1", "name": "Açaí", "price": "-12.50"}]

        w = csvutils.open_csv_writer("out.csv")
        w.writerow(["id", "name", "phone"])
        w.writerow(["1", "Açaí", "+5511999999999"])
        w.close()
        reader = csvutils.open_csv_reader("out.csv")
        assert reader.fieldnames == ["id", "name", "phone"]
        assert list(reader) == [{"id": "1", "name": "Açaí", "phone": "+5511999999999"}]

        tabbed = csvutils.open_csv_writer("out.tsv", "excel-tab")
        tabbed.writerow(["a", "b"])
        tabbed.close()
        assert Path("out.tsv").read_bytes() == b"a\tb\r\n"


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

        assert await get_product("a") == await get_product("a") == {"slug": "a"}
        assert calls == ["a"]
        await redis_delete("products:a")  # how 2.9 services invalidate: the readable key
        assert await get_product("a") == {"slug": "a"}
        assert calls == ["a", "a"]
    finally:
        await redis_close()


# --------------------------------------------------------------------------- migrations


@pytest.fixture(name="own_database")
def _own_database(postgres_url: str) -> Iterator[str]:
    """A database of its own, so yoyo's bookkeeping tables never reach other tests."""
    from sqlalchemy import create_engine  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.pool import NullPool  # noqa: PLC0415

    from serpens.database._url import normalize_url  # noqa: PLC0415

    name = f"compat_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        normalize_url(postgres_url, asynchronous=False),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_legacy_yoyo_runner_is_kept(own_database: str, tmp_path: Path) -> None:
    from serpens import migrations  # noqa: PLC0415

    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001.users.sql").write_text("CREATE TABLE users (id int);\n")
    (folder / "0001.users.rollback.sql").write_text("DROP TABLE users;\n")
    assert migrations.migrate(own_database, folder) == ["0001.users"]
    assert migrations.migrate(own_database, folder) == []
    assert migrations.rollback(own_database, folder) == ["0001.users"]


def test_validation_errors_are_value_errors() -> None:
    assert issubclass(ValidationError, ValueError)


# --------------------------------------------------------------------------- deliberate differences


class TestDeliberateDifferences:
    """Changed on purpose (docs/migrating-from-2.9.md); pinned so they stay changed."""

    def test_responses_default_to_a_json_content_type(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return {"ok": True}

        assert lambda_handler(_event(), None)["headers"]["Content-Type"] == "application/json"

    async def test_acached_keeps_the_first_argument_of_plain_functions(self) -> None:
        from serpens.cache import acached, clear_acache  # noqa: PLC0415

        bucket = f"compat-{uuid.uuid4().hex[:6]}"

        @acached(bucket, ttl_seconds=60)
        async def price(sku: str) -> str:
            return f"price of {sku}"

        try:
            assert await price("a") == "price of a"
            assert await price("b") == "price of b"  # 2.9.0 answered "price of a"
        finally:
            clear_acache(bucket)


class TestSqsResultsSignalsAndRecordFields:
    """2.9.0 SQS call sites: the batch publish answers, its failure signals, assignable fields."""

    def test_publish_message_batch_returns_one_send_message_batch_answer_per_call(
        self, sqs_client: Any, queue_url: str
    ) -> None:
        result = sqs.publish_message_batch(queue_url, [{"body": {"i": i}} for i in range(12)])
        assert len(result) == 2  # ten entries per call, as 2.9.0 sent them
        assert result[0]["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert not result[0]["Failed"]
        assert len(result[0]["Successful"]) == 10
        assert all(ok["MessageId"] for ok in result[1]["Successful"])
        received = sqs_client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        assert len(received["Messages"]) >= 1

    def test_a_dict_subclass_with_message_id_fails_the_record(self) -> None:
        import collections  # noqa: PLC0415

        @sqs.handler
        def message_processor(record: sqs.Record):
            if record.body == "bad":
                return collections.OrderedDict(messageId=record.data["messageId"])
            return None

        event = sqs_event(sqs_record("ok", message_id="m1"), sqs_record("bad", message_id="m2"))
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    def test_raising_filtered_event_fails_the_record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from serpens.sentry import FilteredEvent  # noqa: PLC0415

        @sqs.handler
        def message_processor(record: sqs.Record):
            if record.body["amount"] < 0:
                raise FilteredEvent("negative amount")

        event = sqs_event(
            sqs_record('{"amount": 1}', message_id="ok"),
            sqs_record('{"amount": -1}', message_id="bad"),
        )
        assert message_processor(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
        monkeypatch.setenv("CLOUD_PROVIDER", "gcp")
        with pytest.raises(FilteredEvent):
            message_processor(event, None)

    def test_sentry_module_keeps_its_2_9_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from serpens import sentry  # noqa: PLC0415

        monkeypatch.delenv("SENTRY_DSN", raising=False)
        sentry.setup()  # no DSN: nothing to initialise
        error = sentry.FilteredEvent("x")
        assert sentry.before_send({"x": 1}, {"exc_info": (type(error), error, None)}) is None
        assert sentry.before_send({"x": 1}, {}) == {"x": 1}

    def test_record_fields_can_be_reassigned_to_unwrap_an_sns_envelope(self) -> None:
        seen: list[Any] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            record.body = json.loads(record.body["Message"])
            seen.append(record.body)

        envelope = json.dumps({"Type": "Notification", "Message": json.dumps({"id": 7})})
        assert message_processor(sqs_event(sqs_record(envelope)), None) is None
        assert seen == [{"id": 7}]

    def test_a_record_without_message_id_stops_the_batch_before_processing(self) -> None:
        seen: list[Any] = []

        @sqs.handler
        def message_processor(record: sqs.Record):
            seen.append(record.body)

        bad = sqs_record("bad")
        del bad["messageId"]
        event = sqs_event(sqs_record("first"), bad, sqs_record("after"))
        with pytest.raises(ValidationError, match=r"Records\[1\] has no 'messageId'"):
            message_processor(event, None)
        assert seen == []


class TestLambdaApiObjects:
    """2.9.0 call sites on the Lambda API's objects: awaited handlers, AttrDict, Response."""

    async def test_an_async_handler_is_awaited_in_a_running_loop(self) -> None:
        @api.async_handler
        async def lambda_handler(request: api.Request):
            return 201, {"echo": request.body}

        response = await lambda_handler(_event(), {})  # 2.9.0's own tests awaited the call
        assert response["statusCode"] == 201
        assert json.loads(response["body"]) == {"echo": {"name": "Mike"}}

    def test_http_api_query_keeps_api_gateway_s_comma_joined_value(self) -> None:
        event = {
            "version": "2.0",
            "rawQueryString": "tag=a&tag=b",
            "queryStringParameters": {"tag": "a,b"},  # what API Gateway sends
        }
        assert api.Request(event).query.tag == "a,b"

    def test_attr_dict_reads_like_2_9_s_plain_object(self) -> None:
        request = api.Request(_event())
        assert vars(request.query) == {"page": "2"}
        assert request.query.__dict__ == {"page": "2"}
        try:
            request.query["missing"]
        except AttributeError:  # 2.9.0: __getitem__ was getattr
            pass
        else:
            pytest.fail("a missing key did not raise")
        request.path.extra = 1
        assert request.path.extra == 1
        del request.path.extra
        assert "extra" not in request.path

    def test_response_status_body_and_headers_are_assignable(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            response = api.Response()
            response.statusCode = 201  # as 2.9.0's _build_response did
            response.body = {"id": 1}
            response.headers = {"Location": "/users/1"}
            return response

        response = lambda_handler(_event(), None)
        assert (response["statusCode"], response["body"]) == (201, '{"id": 1}')
        assert response["headers"]["Location"] == "/users/1"

    def test_a_one_item_status_tuple_is_a_500(self) -> None:
        @api.handler
        def lambda_handler(request: api.Request):
            return (404,)  # 2.9.0: IndexError, a 500

        assert lambda_handler(_event(), None)["statusCode"] == 500

    def test_the_shared_response_helpers_keep_their_2_9_signatures(self) -> None:
        built = api._build_response((201, {"id": 1}))
        assert (built["statusCode"], built["body"]) == (201, '{"id": 1}')
        failed = api._error_response(RuntimeError("password is hunter2"))
        assert failed["statusCode"] == 500
        assert "hunter2" not in failed["body"]  # deliberate: no exception text


# --------------------------------------------------------------------------- database sessions


@pytest.fixture(name="legacy_db")
async def _legacy_db(own_database: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``DATABASE_URL`` set to a database with a versioned ``legacy_notes`` table; nothing bound.

    Returns the mapped class; both engines are disposed afterwards.
    """
    from sqlalchemy import Column, Integer, String  # noqa: PLC0415
    from sqlalchemy.orm import DeclarativeBase  # noqa: PLC0415

    from serpens import database  # noqa: PLC0415

    class Model(DeclarativeBase):
        pass

    class Note(Model):  # no annotations: this module's are strings and these names are local
        __tablename__ = "legacy_notes"
        id = Column(Integer, primary_key=True)
        body = Column(String(20))
        version = Column(Integer, nullable=False)
        __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's spelling

    Model.metadata.create_all(database.bind(own_database))
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", own_database)
    yield Note
    database.dispose()
    await database.async_dispose()


class TestDatabase:
    async def test_the_readme_fastapi_dependencies_commit_and_bind_on_first_use(
        self, legacy_db: Any
    ) -> None:
        import httpx  # noqa: PLC0415
        from fastapi import Depends, FastAPI  # noqa: PLC0415
        from sqlalchemy import select  # noqa: PLC0415

        from serpens.database import (  # noqa: PLC0415
            db_session,
            fastapi_async_session,
            fastapi_session,
        )

        app = FastAPI()

        # The README's `db: Session = Depends(fastapi_session)`, unannotated: this module's
        # annotations are strings FastAPI would resolve in the module, not in this test.
        @app.post("/notes/{i}")
        def create(i: int, db=Depends(fastapi_session)):  # noqa: B008 - the README
            db.add(legacy_db(id=i, body="sync"))
            return {"ok": True}

        @app.post("/async-notes/{i}")
        async def acreate(i: int, db=Depends(fastapi_async_session)):  # noqa: B008
            db.add(legacy_db(id=i, body="async"))
            return {"ok": True}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.post("/notes/1")).status_code == 200
            assert (await client.post("/async-notes/2")).status_code == 200
        with db_session() as session:  # 2.9.0 committed both: no db.commit() in the handlers
            assert session.scalars(select(legacy_db.body).order_by(legacy_db.id)).all() == [
                "sync",
                "async",
            ]

    async def test_the_optimistic_locking_recipe_catches_stale_data_error(
        self, legacy_db: Any
    ) -> None:
        from sqlalchemy.exc import IntegrityError  # noqa: PLC0415
        from sqlalchemy.orm.exc import StaleDataError  # noqa: PLC0415

        from serpens.database import async_db_session, db_session  # noqa: PLC0415

        with db_session() as session:
            session.add(legacy_db(id=1, body="v1"))

        def handler() -> None:
            with db_session() as session:
                note = session.get(legacy_db, 1)
                with db_session() as other:  # a concurrent update
                    other.get(legacy_db, 1).body = "other"
                note.body = "mine"

        async def duplicate() -> None:
            async with async_db_session() as session:
                session.add(legacy_db(id=1, body="dup"))

        with pytest.raises(StaleDataError):
            handler()
        with pytest.raises(IntegrityError):
            await duplicate()

    def test_bulk_add_flush_false_and_paginate_s_default_page_of_20(self, legacy_db: Any) -> None:
        from serpens.database import Repository, db_session  # noqa: PLC0415

        with db_session() as session:
            repo = Repository(session, legacy_db)
            batch = [legacy_db(id=i, body="p") for i in range(1, 61)]
            assert len(repo.bulk_add(batch, flush=False)) == 60
        with db_session() as session:
            rows, total = Repository(session, legacy_db).paginate(page=2)
            assert ([r.id for r in rows], total) == (list(range(21, 41)), 60)

    async def test_bind_and_async_bind_take_pool_use_lifo_positionally(
        self, legacy_db: Any, own_database: str
    ) -> None:
        from serpens import database  # noqa: PLC0415

        assert database.bind(own_database, False).pool._pool.use_lifo is False  # type: ignore[attr-defined]
        engine = database.async_bind(own_database, False)
        assert engine.sync_engine.pool._pool.use_lifo is False  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- Schema numbers


@dataclass
class Payment(Schema):
    amount: Decimal
    rate: float = 0.0


class TestSchemaNumbers:
    """2.9.0 call shapes with numbers: ``Cls.loads`` into a Decimal, ``cls=SchemaEncoder``."""

    def test_loads_gives_a_decimal_field_every_digit_of_its_json_number(self) -> None:
        payment = Payment.loads('{"amount": 12345678901234567.89, "rate": 0.5}')
        assert payment == Payment(Decimal("12345678901234567.89"), 0.5)  # 2.9.0: ...68
        assert type(payment.rate) is float

    def test_json_dumps_with_the_schema_encoder_keeps_working(self) -> None:
        from serpens.schema import SchemaEncoder  # noqa: PLC0415

        text = json.dumps({"amount": Decimal("19.90"), "rate": 0.5}, cls=SchemaEncoder)
        assert json.loads(text) == {"amount": 19.9, "rate": 0.5}

    def test_nan_is_refused_where_2_9_wrote_invalid_json(self) -> None:
        """Deliberate (docs/migrating-from-2.9.md): 2.9.0 wrote ``NaN``, which is not JSON."""
        from serpens.schema import SchemaEncoder  # noqa: PLC0415

        with pytest.raises(ValueError, match="not JSON compliant"):  # a SerializationError
            json.dumps({"rate": float("nan")}, cls=SchemaEncoder)
        with pytest.raises(ValueError, match="non-finite float"):
            Payment(Decimal(1), float("nan")).dump()


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
