"""Malformed events are 400s, and a 409 never shows database internals to the client."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from serpens import api
from serpens.errors import ConflictError
from serpens_contract.repository import ContractBase, Product, contract_schema
from serpens_sqlalchemy import Repository
from tests.serpens.api.events import ORIGIN, http_event, rest_event


def _echo_cookies_and_origin(cors: Any = "*") -> Any:
    @api.handler(cors_origins=cors)
    def lambda_handler(request: api.Request) -> dict[str, Any]:
        return {"cookies": dict(request.cookies), "origin": request.headers.get("origin")}

    return lambda_handler


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": 12345, "Origin": ORIGIN},
        {"Cookie": "a=1", "Origin": [ORIGIN, "https://evil.example"]},
        {"Cookie": "a=1", "Origin": None},
    ],
    ids=["numeric cookie", "list origin", "null origin"],
)
@pytest.mark.parametrize("cors", ["*", [ORIGIN]], ids=["any origin", "allow-list"])
def test_a_header_value_that_is_not_text_is_a_400(headers: dict[str, Any], cors: Any) -> None:
    event = rest_event(headers=headers)
    event["multiValueHeaders"] = None  # only the single-value map, as a direct invoke sends
    response = _echo_cookies_and_origin(cors)(event, None)
    assert response["statusCode"] == 400
    assert "header" in json.loads(response["body"])["message"]


def test_a_multi_value_header_that_is_not_a_list_of_text_is_a_400() -> None:
    event = rest_event()
    event["headers"] = None
    event["multiValueHeaders"] = {"Cookie": ["a=1", 2]}
    response = _echo_cookies_and_origin()(event, None)
    assert response["statusCode"] == 400


def test_http_api_cookies_that_are_not_text_are_a_400() -> None:
    event = http_event()
    event["cookies"] = ["a=1", 7]
    assert _echo_cookies_and_origin()(event, None)["statusCode"] == 400


def test_well_formed_headers_still_work() -> None:
    response = _echo_cookies_and_origin([ORIGIN])(
        rest_event(headers={"Cookie": "a=1; b=2", "Origin": ORIGIN}), None
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"cookies": {"a": "1", "b": "2"}, "origin": ORIGIN}
    assert response["headers"]["Access-Control-Allow-Origin"] == ORIGIN


@pytest.fixture(name="engine")
def _engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    schema = contract_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        ContractBase.metadata.create_all(
            conn.execution_options(schema_translate_map={None: schema})
        )
    yield engine.execution_options(schema_translate_map={None: schema})
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.mark.postgres
def test_a_conflict_from_the_database_is_a_409_without_its_internals(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    @api.handler
    def create_product(request: api.Request) -> tuple[int, dict[str, str]]:
        with Session(engine) as session:
            Repository(session, Product).add(Product(sku=request.body["sku"]))
            session.commit()
        return 201, {"sku": request.body["sku"]}

    event = rest_event(body='{"sku": "a-1"}')
    assert create_product(event, None)["statusCode"] == 201
    with caplog.at_level(logging.INFO, "serpens.api"):
        response = create_product(event, None)  # the same unique sku again

    assert response["statusCode"] == 409
    assert json.loads(response["body"]) == {"message": "Conflict"}
    logged = [r.getMessage() for r in caplog.records if "409" in r.getMessage()]
    assert logged
    assert "23505" in logged[0] or "sku" in logged[0]  # the detail is in the log, for us


def test_a_conflict_raised_by_the_application_is_also_generic() -> None:
    @api.handler
    def lambda_handler(request: api.Request) -> None:
        raise ConflictError('duplicate key value violates unique constraint "users_email_key"')

    response = lambda_handler(rest_event(), None)
    assert response["statusCode"] == 409
    assert "users_email_key" not in response["body"]
