"""``scripts/mutation.py survivors``: the hand-sorted verdicts and the lines it keeps.

The mutation run itself needs mutmut and minutes; what sorts its survivors is plain
Python, checked here on a small file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="mutation", scope="module")
def _mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mutation_script", ROOT / "scripts" / "mutation.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_verdict_names_functions_and_every_category_has_a_reason(
    mutation: ModuleType,
) -> None:
    verdicts = mutation._verdicts()
    assert verdicts
    for verdict in verdicts:
        assert set(verdict) <= {"category", "why", "functions", "changes"}, verdict
        assert verdict["functions"], verdict
        assert all("__mutmut_" not in f for f in verdict["functions"]), "name functions"
    explained = {v["category"] for v in verdicts if v.get("why", "").strip()}
    assert {v["category"] for v in verdicts} <= explained


def test_a_verdict_matches_its_function_and_change_text_only(mutation: ModuleType) -> None:
    verdicts = mutation._verdicts()
    name = "serpens._rules.queue.x_message_size__mutmut_7"
    change = '`data_type = "String" if ...` -> `data_type = "string" if isinstance(value, str)`'
    judged = mutation._judged(name, change, verdicts)
    assert judged is not None
    assert judged["category"].startswith("equivalent: both SQS attribute types")
    assert mutation._judged(name, "`size = 0` -> `size = 1`", verdicts) is None
    other_function = "serpens._rules.queue.x_message_size_bytes__mutmut_7"
    assert mutation._judged(other_function, change, verdicts) is None


def test_lines_of_functions_this_run_did_not_check_are_kept(
    mutation: ModuleType, tmp_path: Path
) -> None:
    earlier = tmp_path / "survivors.md"
    earlier.write_text(
        "# Mutation survivors\n\nAn intro.\n\n## open (3)\n\n"
        "- `serpens._rules.a.x_f__mutmut_1`: `a` -> `b`\n"
        "- `serpens._rules.a.x_g__mutmut_2`, `_3` to `_5`: condensed\n\n"
        "## no tests (1)\n\n"
        "- `serpens._rules.a.x_h__mutmut_1`: `c` -> `d`\n",
        encoding="utf-8",
    )
    codes = {"serpens._rules.a.x_f__mutmut_9": 1, "serpens._rules.a.x_h__mutmut_1": None}
    intro, kept = mutation._earlier(earlier, codes)
    assert intro == "# Mutation survivors\n\nAn intro.\n"
    assert sorted(kept) == ["serpens._rules.a.x_g__mutmut_2", "serpens._rules.a.x_h__mutmut_1"]
    assert kept["serpens._rules.a.x_h__mutmut_1"][0] == "no tests"
    assert kept["serpens._rules.a.x_g__mutmut_2"][0] == "open"
