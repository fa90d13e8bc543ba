"""The README's set-up commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command(marker: str) -> str:
    match = re.search(
        rf"<!-- {marker} -->\n```bash\n(.+?)\n```\n<!-- /{marker} -->", README, re.DOTALL
    )
    assert match, f"README has no {marker} block"
    return match.group(1)


def test_readme_has_one_line_main_and_test_commands() -> None:
    main, test = _command("main-command"), _command("test-command")
    assert "\n" not in main
    assert "\n" not in test
    for command in (main, test):
        assert command.startswith("python3 -m venv .venv && ")
        assert "pip install -q -U pip" in command  # a current pip resolves much faster
    assert 'install -q -e ".[test]"' in test
    assert test.endswith("-m pytest -n 6 --dist worksteal")  # pytest-xdist: the suite mostly waits


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command test-command" in ci
    assert "mypy --strict serpens adapters contract_tests" in ci
    assert "ruff format --check" in ci
