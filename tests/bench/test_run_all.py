"""Smoke test of ``bench/run_all.py``: a quick run of the server-less modules.

The figures of a ``--quick`` run are not measurements; this checks the plumbing: one
worker process per module, rows handed back as data, one table, the report file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench._common import Result
from bench.run_all import ModuleRun, scaling

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
        for heading in ("## Machine", "## Servers", "## Results", "## Scaling"):
            assert heading in text
        for key in ("CPU", "Cores", "RAM", "OS", "Python", "Packages", "Date"):
            assert f"- **{key}**: " in text
        assert "\n".join(lines) in text

    def test_an_unknown_module_is_rejected(self) -> None:
        done = _run("--only", "nosuchbench")

        assert done.returncode == 2
        assert "invalid choice" in done.stderr


class TestScaling:
    def test_figures_at_three_sizes_or_more_become_one_line_each(self) -> None:
        rows = [
            Result(f"get, {n:,} rows", n / 1000, 2.0, "us/op", "PostgreSQL")
            for n in (1_000, 10_000, 100_000)
        ]
        rows += [Result(f"hit, {n} entries", 1.0, 4.0, "us", "dict") for n in (10, 100, 10_000)]
        rows += [Result(f"list {n} rows", 1.0, 1.0, "us", "SQL") for n in (10, 100)]  # 2 sizes
        rows.append(Result("get by key", 1.0, 1.0, "us", "SQL"))  # no size
        lines = scaling([ModuleRun("fake", rows[:3], {}, 0), ModuleRun("cache", rows[3:], {}, 0)])

        assert lines.splitlines() == [
            "| figure (baseline) | 10 | 100 | 1k | 10k | 100k |",
            "|---|---|---|---|---|---|",
            (
                "| fake: get, n rows (PostgreSQL, us/op) "
                "| - | - | 1 / 2 (0.500x) | 10 / 2 (5.000x) | 100 / 2 (50.000x) |"
            ),
            (
                "| cache: hit, n entries (dict, us) | 1 / 4 (0.250x) | 1 / 4 (0.250x) | - "
                "| 1 / 4 (0.250x) | - |"
            ),
        ]

    def test_a_figure_with_other_baselines_is_a_line_per_baseline(self) -> None:
        rows = [
            Result(f"echo {n} items", 1.0, base, "us", name)
            for n in (10, 100, 1000)
            for name, base in (("plain", 0.5), ("peer", 2.0))
        ]
        lines = scaling([ModuleRun("lambda", rows, {}, 0)]).splitlines()

        assert [line.split(" |")[0] for line in lines[2:]] == [
            "| lambda: echo n items (plain, us)",
            "| lambda: echo n items (peer, us)",
        ]

    def test_nothing_measured_at_several_sizes_gives_no_table(self) -> None:
        rows = [Result("get, 10 rows", 1.0, 1.0, "us", "SQL"), Result("get", 1.0, 1.0, "us", "x")]
        assert scaling([ModuleRun("repository", rows, {}, 0)]) == ""
