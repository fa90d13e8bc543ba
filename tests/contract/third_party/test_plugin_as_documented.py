"""A third party runs a serpens contract suite exactly as docs/contract-tests.md shows.

The sandbox is a project of its own: the "acme" adapter (``acme_cache.py``) and, as its
test module, the documentation's tagged example file itself, so the page and this test
cannot drift. pytest runs in a fresh process with no conftest and no ``-p`` option: the
suite's skips and its report come from the plugin that pip installed (entry point
``pytest11``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DOC_EXAMPLE = HERE.parents[2] / "docs" / "examples" / "contract_acme_cache.py"
# The third party's own pytest configuration, as strict as ours.
INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    shutil.copy(HERE / "acme_cache.py", tmp_path / "acme_cache.py")
    shutil.copy(DOC_EXAMPLE, tmp_path / "test_acme_cache.py")
    (tmp_path / "pytest.ini").write_text(INI, encoding="utf-8")
    return tmp_path


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


API_VALUE_TESTS = (
    "test_api_values_are_stored_in_their_json_form",
    "test_a_non_finite_decimal_raises_and_stores_nothing",
)


def test_the_documented_module_runs_the_cache_suite_on_the_acme_adapter(project: Path) -> None:
    result = _pytest(project, "--serpens-contract-report=report.json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "serpens contract report" in result.stdout
    (row,) = json.loads((project / "report.json").read_text(encoding="utf-8"))["suites"]
    assert row["suite"] == "CacheContract"
    assert row["implementation"] == "test_acme_cache.py::TestAcmeCache"
    assert row["failed"] == 0
    assert row["passed"] >= 30  # every example test and the differential one
    # The honest differences declared by the capabilities are explicit, reported skips:
    # whole-second TTLs, no backend outage in an in-process store, no outage hook (a SQLite
    # file has no server to take down), and an optional fixture it does not define.
    skipped = {skip["test"]: skip["reason"] for skip in row["skipped"]}
    api_values = {name for name in skipped if name.startswith(API_VALUE_TESTS)}
    assert len(api_values) == 10  # the opt-in Decimal/date/UUID cases, every parameter
    assert all("capability 'api_values'" in skipped[name] for name in api_values)
    assert sorted(set(skipped) - api_values) == [
        "test_a_frozen_backend_raises_timeout_or_misses_in_time",
        "test_a_refused_backend_raises_unavailable_or_misses_in_time",
        "test_a_reset_backend_raises_unavailable_or_misses_in_time",
        "test_a_subsecond_ttl_expires_in_real_time",
        "test_a_trickling_backend_ends_a_read_by_its_deadline",
        "test_a_ttl_counts_in_whole_milliseconds",
        "test_an_unreachable_backend_raises_typed_errors",
        "test_an_unreachable_backend_reads_as_misses_and_never_raises",
        "test_the_default_ttl_expires",
    ]
    assert "capability 'subsecond_ttl'" in skipped["test_a_subsecond_ttl_expires_in_real_time"]
    assert "capability 'millisecond_ttl'" in skipped["test_a_ttl_counts_in_whole_milliseconds"]
    assert "open_cache_with_default_ttl" in skipped["test_the_default_ttl_expires"]
    refused = skipped["test_a_refused_backend_raises_unavailable_or_misses_in_time"]
    assert "capability 'outage_refused'" in refused
    assert row["outage"] == "strict, no outage hook"


def test_the_suite_fails_an_acme_cache_that_clears_every_namespace(
    project: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same project with one bug, run in this process (quicker; the plugin loads the same)."""
    monkeypatch.setenv("SERPENS_CONTRACT_SHRINK", "0")
    for path in project.iterdir():
        shutil.copy(path, pytester.path / path.name)
    adapter = pytester.path / "acme_cache.py"
    source = adapter.read_text(encoding="utf-8")
    scoped = 'db.execute("DELETE FROM acme_cache WHERE namespace = ?", (self._namespace,))'
    assert scoped in source
    adapter.write_text(source.replace(scoped, 'db.execute("DELETE FROM acme_cache")'))
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "clear")
    failed = {
        report.nodeid.rsplit("::", 1)[-1]
        for report in result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
        if report.failed
    }
    assert failed == {
        "test_clear_removes_only_this_namespace",
        "test_clear_reads_pattern_characters_in_the_namespace_literally",
    }
