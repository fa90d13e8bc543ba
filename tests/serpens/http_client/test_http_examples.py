"""Run the HTTP and rate-limit doc examples that need a server, against the harness."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serpens.testing import serve_asgi
from serpens_contract.http import scenario_app
from tests._examples import EXAMPLES, run_example


@pytest.fixture(name="upstream")
def _upstream() -> Iterator[str]:
    with serve_asgi(scenario_app, lifespan="off") as url:
        yield url


async def test_http_fastapi_example_proxies_through_the_shared_client(
    upstream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_URL", upstream)
    spec = importlib.util.spec_from_file_location(
        "http_fastapi_example", EXAMPLES / "http_fastapi.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as caller:
            echo = (await caller.get("/proxy")).json()
    assert echo["path"] == "/echo"
    assert echo["args"] == [["from", "proxy"]]
    assert echo["headers"]["user-agent"] == "my-service/1.0"


def test_rate_limit_redis_example_shares_one_quota(redis_url: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "rate_limit_redis.py"),
        cwd=tmp_path,
        env={**os.environ, "REDIS_URL": redis_url},
    )
    assert result.returncode == 0, result.stderr
    assert "6 shared calls" in result.stdout
