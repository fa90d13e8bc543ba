"""The decorators and Schema class methods keep precise types under mypy --strict."""

from pathlib import Path

from mypy import api

HERE = Path(__file__).parent


def test_api_and_schema_types_check_under_strict_mypy() -> None:
    stdout, stderr, status = api.run(
        ["--strict", "--no-error-summary", str(HERE / "check_api_schema.py")]
    )
    assert status == 0, stdout + stderr


def test_a_sync_function_is_rejected_by_async_handler(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from serpens import api\n"
        "def f(request: api.Request) -> int:\n"
        "    return 1\n"
        "entry = api.async_handler(f)\n",
        encoding="utf-8",
    )
    stdout, _, status = api.run(["--strict", "--no-error-summary", str(bad)])
    assert status == 1
    assert "async_handler" in stdout
