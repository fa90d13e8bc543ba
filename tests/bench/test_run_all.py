"""Smoke test of ``bench/run_all.py``: a quick run of the server-less modules.

The figures of a ``--quick`` run are not measurements; this checks the plumbing: one
worker process per module, rows handed back as data, one table, the report file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| figure | serpens | baseline | ratio | target | pass/fail |"
NUMBER = r"-?[0-9.]+(?:e[+-]?[0-9]+)?"
ROW = re.compile(
    rf"^\| (?P<module>schema|messaging): [^|]+ \| {NUMBER} [^|]+ \| {NUMBER} [^|]+ "
    rf"\| {NUMBER}x \| (?:-|<= {NUMBER}x|{NUMBER}x - {NUMBER}x) \| (?:pass|FAIL|info) \|$"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.run_all", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestRunAll:
    def test_quick_run_prints_one_table_and_writes_the_report(self, tmp_path: Path) -> None:
        report = tmp_path / "RESULTS.md"
        done = _run("--quick", "--only", "schema", "--only", "messaging", "--output", str(report))

        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert lines[:2] == [HEADER, "|---|---|---|---|---|---|"]
        rows = lines[2:]
        assert all(ROW.match(row) for row in rows), rows
        modules = [ROW.match(row)["module"] for row in rows]  # type: ignore[index]
        assert set(modules) == {"schema", "messaging"}
        assert modules == sorted(modules, key=["schema", "messaging"].index)  # --only order
        text = report.read_text(encoding="utf-8")
        assert "--quick` (smoke run: figures are not measurements)" in text
        for heading in ("## Machine", "## Servers", "## Results"):
            assert heading in text
        for key in ("CPU", "Cores", "RAM", "OS", "Python", "Packages", "Date"):
            assert f"- **{key}**: " in text
        assert "\n".join(lines) in text

    def test_an_unknown_module_is_rejected(self) -> None:
        done = _run("--only", "nosuchbench")

        assert done.returncode == 2
        assert "invalid choice" in done.stderr
