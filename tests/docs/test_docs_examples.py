"""Documentation examples: tagged code blocks match their files, and the files run.

A python block in ``docs/*.md`` preceded by ``<!-- example: NAME.py -->`` must be the
exact content of ``docs/examples/NAME.py``; examples that need no server run here, in a
temporary directory, and the others run in their area's ``test_examples_*`` module.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = DOCS / "examples"
TAGGED = re.compile(r"<!-- example: (?P<name>[\w.]+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)
# Examples that need no server; the rest are run by their area's tests with a backend.
STANDALONE = [
    "cache_local.py",
    "csv_basic.py",
    "database_async.py",
    "database_fastapi.py",
    "database_lambda.py",
    "database_recipes.py",
    "database_sync.py",
    "documents_basic.py",
    "http_fake.py",
    "lambda_async.py",
    "lambda_cors.py",
    "lambda_handler.py",
    "parameters_fake.py",
    "pubsub_emulator.py",
    "pubsub_fake.py",
    "pubsub_lifespan.py",
    "queue_fake.py",
    "rate_limit_basic.py",
    "rate_limit_fastapi.py",
    "repository_async.py",
    "repository_basic.py",
    "repository_fake.py",
    "schema_basic.py",
    "sqs_handler.py",
    "testing_servers.py",
]


def _tagged_blocks() -> list[tuple[str, str, str]]:
    return [
        (page.name, match["name"], match["code"])
        for page in sorted(DOCS.glob("*.md"))
        for match in TAGGED.finditer(page.read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize(("page", "name", "code"), _tagged_blocks())
def test_tagged_block_is_the_example_file(page: str, name: str, code: str) -> None:
    path = EXAMPLES / name
    assert path.exists(), f"{page} tags missing example {name}"
    assert code == path.read_text(encoding="utf-8"), f"{page} block differs from {name}"


@pytest.mark.parametrize("name", STANDALONE)
def test_standalone_example_runs(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
