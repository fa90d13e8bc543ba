"""Run an outbox suite in a pytester sandbox against mutant stores; which tests failed.

Shared by the fake's and the PostgreSQL store's mutant modules.
"""

from __future__ import annotations

import pytest

__all__ = ["check", "failures", "wanted"]


def failures(pytester: pytest.Pytester, suite: str, wanted: set[str]) -> dict[str, set[str]]:
    """Run *suite* in a sandbox process, only the *wanted* tests; each class's failed tests.

    A process of its own: an in-process run drops the modules it imported when it ends,
    and asyncpg or SQLAlchemy's compiled parts imported again in one process can crash it.
    """
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_mutants=suite)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-rA", "-k", " or ".join(sorted(wanted))
    )
    failed: dict[str, set[str]] = {}
    ran: set[str] = set()
    for line in result.outlines:
        outcome, _, rest = line.partition(" test_mutants.py::")
        if outcome not in {"PASSED", "FAILED"} or not rest:
            continue
        cls, _, test = rest.split(" ")[0].partition("::")
        if outcome == "FAILED":
            failed.setdefault(cls, set()).add(test.split("[")[0])
        else:
            ran.add(cls)
    assert "TestGenuine" in ran, "the genuine store ran nothing:\n" + result.stdout.str()[-3000:]
    assert "TestGenuine" not in failed, failed.get("TestGenuine")  # the suite is sound
    return failed


def check(failed: dict[str, set[str]], must_fail: dict[str, set[str]]) -> None:
    for mutant, tests in must_fail.items():
        missed = tests - failed.get(mutant, set())
        assert not missed, f"{mutant} slipped through {sorted(missed)}"


def wanted(must_fail: dict[str, set[str]]) -> set[str]:
    return {test for tests in must_fail.values() for test in tests}
