"""The cache documentation examples that need Redis, run against the harness's server."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import httpx
import pytest

from serpens.testing import serve_asgi
from tests._examples import EXAMPLES, run_example

pytestmark = pytest.mark.redis


def _env(redis_url: str, prefix: str) -> dict[str, str]:
    """A minimal environment; ``PYTHONPATH`` kept so the checkout under test is imported."""
    return {
        "REDIS_URL": redis_url,
        "CACHE_PREFIX": prefix,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }


def test_cache_redis_example_runs(redis_url: str, prefix: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "cache_redis.py"),
        cwd=tmp_path,
        env={"REDIS_URL": redis_url, "CACHE_PREFIX": prefix, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cache_fastapi_example_serves_requests(
    redis_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    app = runpy.run_path(str(EXAMPLES / "cache_fastapi.py"))["app"]
    with serve_asgi(app) as base_url, httpx.Client(base_url=base_url) as http:
        assert http.get(f"/users/{prefix}").json() == {"user": None}


def test_cache_tenants_example_runs(redis_url: str, prefix: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "cache_tenants.py"),
        cwd=tmp_path,
        env=_env(redis_url, prefix),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cache_invalidate_example_runs(redis_url: str, prefix: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "cache_invalidate.py"),
        cwd=tmp_path,
        env=_env(redis_url, prefix),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
