"""Documentation examples: tagged code blocks match their files, and the files run.

A python block in ``docs/*.md`` preceded by ``<!-- example: NAME.py -->`` must be the
exact content of ``docs/examples/NAME.py``; examples that need no server run here, in a
temporary directory, and the others run in their area's ``test_examples_*`` module.
Every python block is tagged, so every code example of the docs is executed; a block that
is not Python says what it is (``text`` for output, diagrams and signatures, ``json``, ...).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
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
    "fakes_outage.py",
    "fastapi_errors.py",
    "fastapi_fakes.py",
    "http_fake.py",
    "http_shared_transport.py",
    "idempotency_fake.py",
    "idempotency_sqs.py",
    "index_cache.py",
    "lambda_async.py",
    "lambda_cors.py",
    "lambda_handler.py",
    "lambda_pydantic.py",
    "otel_tracing.py",
    "outbox_fake.py",
    "parameters_deadline.py",
    "parameters_fake.py",
    "pubsub_29_shapes.py",
    "pubsub_emulator.py",
    "pubsub_fake.py",
    "pubsub_lifespan.py",
    "queue_fake.py",
    "rate_limit_basic.py",
    "rate_limit_fastapi.py",
    "repository_async.py",
    "repository_basic.py",
    "repository_fake.py",
    "repository_fake_constraints.py",
    "repository_fake_sessions.py",
    "repository_fake_transactions.py",
    "schema_basic.py",
    "sqs_handler.py",
    "sqs_minimal.py",
    "testing_fault_proxy.py",
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


# Languages of fenced blocks that are not Python, each checked for what it claims to be.
NOT_PYTHON = {"text", "json", "bash", "toml"}
FENCE = re.compile(r"^ *```(?P<lang>\S*) *$")
TAG = re.compile(r"^<!-- example: [\w.]+ -->$")


def _fenced_blocks() -> list[tuple[str, str, bool, str]]:
    """(page:line, language, tagged, body) of every fenced block in docs/*.md."""
    blocks = []
    for page in sorted(DOCS.glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        number = 0
        while number < len(lines):
            opening = FENCE.match(lines[number])
            if opening is None:
                number += 1
                continue
            end = next(i for i in range(number + 1, len(lines)) if lines[i].strip() == "```")
            tagged = number > 0 and TAG.match(lines[number - 1]) is not None
            body = textwrap.dedent("\n".join(lines[number + 1 : end]))
            blocks.append((f"{page.name}:{number + 1}", opening["lang"], tagged, body))
            number = end + 1
    return blocks


def test_every_python_block_is_a_tagged_example() -> None:
    untagged = [
        where for where, lang, tagged, _ in _fenced_blocks() if lang == "python" and not tagged
    ]
    assert untagged == [], "tag these blocks as examples: <!-- example: NAME.py -->"


def test_every_other_block_names_a_language_that_is_not_python() -> None:
    for where, lang, _, body in _fenced_blocks():
        if lang == "python":
            continue
        assert lang in NOT_PYTHON, f"{where}: unknown block language {lang!r}"
        if lang == "json":
            json.loads(body)
        if lang == "text":  # Python in disguise would escape the example tests
            try:
                tree = ast.parse(body)
            except SyntaxError:
                continue
            assert all(isinstance(node, ast.Expr) for node in tree.body), f"{where} is Python"


def test_every_example_file_is_shown_and_run() -> None:
    shown = {name for _, name, _ in _tagged_blocks()}
    this = Path(__file__).resolve()
    tests = [
        path.read_text(encoding="utf-8")
        for path in (DOCS.parent / "tests").rglob("*.py")
        if path.resolve() != this
    ]
    for path in sorted(EXAMPLES.glob("*.py")):
        assert path.name in shown, f"{path.name} is not shown on any page"
        assert path.name in STANDALONE or any(path.name in text for text in tests), (
            f"{path.name} is neither STANDALONE nor run by an area test"
        )
