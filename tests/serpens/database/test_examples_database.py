"""The database docs examples run against a real PostgreSQL (and SQLite via the docs test).

All of them run in one interpreter (their tables have distinct names) to pay the imports once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests._examples import EXAMPLES, run_example

# The Lambda example sets AWS_LAMBDA_FUNCTION_NAME for itself, so it runs last.
NAMES = [
    "database_sync.py",
    "database_async.py",
    "database_fastapi.py",
    "database_recipes.py",
    "postgres_queue.py",
    "outbox_postgres.py",
    "database_lambda.py",
]
RUNNER = """
import runpy, sys
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
    print("ran", path)
"""


@pytest.mark.postgres
def test_examples_run_on_postgres(fresh_pg_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "AWS_LAMBDA"))}
    env.update(DATABASE_URL=fresh_pg_url.replace("postgresql://", "postgres://"))
    result = run_example(
        "-c", RUNNER, *(str(EXAMPLES / n) for n in NAMES), cwd=tmp_path, env=env, strict=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("ran ") == len(NAMES)
    assert list(tmp_path.glob("*.db")) == []  # it really used PostgreSQL
