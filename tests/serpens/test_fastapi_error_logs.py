"""What ``serpens.fastapi`` logs for each error it answers, and the body of a generic 500.

The client gets a generic body; the log line on ``serpens.fastapi`` keeps what the client
must not see: the error's class and message, and for a 5xx its traceback, at warning
level (a 4xx is the client's own mistake: info, no traceback). Served over uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from serpens.errors import BackendTimeoutError, NotFoundError, SerpensError
from serpens.fastapi import error_response, install_exception_handlers
from serpens.testing import serve_asgi


def _app() -> FastAPI:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFoundError("order 42 not in table t_orders")

    @app.get("/slow")
    async def slow() -> None:
        raise BackendTimeoutError("lock timeout on t_orders")

    return app


@pytest.fixture(name="http")
def _http() -> Iterator[httpx.Client]:
    with serve_asgi(_app()) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


def _logged(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.name == "serpens.fastapi"]
    return record


def test_a_5xx_is_logged_as_a_warning_with_the_error_and_its_traceback(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="serpens.fastapi"):
        response = http.get("/slow")
    assert response.status_code == 504
    record = _logged(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "request failed with BackendTimeoutError: lock timeout on t_orders"
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], BackendTimeoutError)


def test_a_4xx_is_logged_at_info_with_the_status_and_the_error(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="serpens.fastapi"):
        response = http.get("/missing")
    assert response.status_code == 404
    assert "t_orders" not in response.text
    record = _logged(caplog)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "request answered 404: NotFoundError: order 42 not in table t_orders"
    )
    assert record.exc_info is None


def test_an_unmapped_serpens_error_answers_the_generic_500_body() -> None:
    response = error_response(SerpensError("secret table t_internal"))
    assert response.status_code == 500
    assert response.body == b'{"detail":"Internal server error"}'
    assert "retry-after" not in response.headers
