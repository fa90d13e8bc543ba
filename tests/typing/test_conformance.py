"""Ports are checked structurally by mypy --strict, not by runtime isinstance."""

from pathlib import Path

from mypy import api

HERE = Path(__file__).parent


def _mypy(*targets: str) -> tuple[str, int]:
    stdout, stderr, status = api.run(["--strict", "--no-error-summary", *targets])
    return stdout + stderr, status


def test_implementations_satisfy_their_ports() -> None:
    """Every ``check_*.py`` here (httpx.AsyncClient as HttpClient, fakes, adapters)."""
    output, status = _mypy(*sorted(str(path) for path in HERE.glob("check_*.py")))
    assert status == 0, output


def test_a_client_missing_port_methods_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from serpens.ports import HttpClient\n"
        "class Half:\n"
        "    async def aclose(self) -> None: ...\n"
        "client: HttpClient = Half()\n",
        encoding="utf-8",
    )
    output, status = _mypy(str(bad))
    assert status == 1
    assert 'expression has type "Half", variable has type "HttpClient"' in output
