"""The contract framework itself: capability skips, divergences and the report."""

import json
import subprocess
import sys

import pytest

TOY_SUITE = """
import pytest
from dataclasses import dataclass
from typing import ClassVar
from serpens_contract import ContractSuite, register_capability, requires

@dataclass(frozen=True)
class ToyCapabilities:
    fast: bool = True

register_capability("toy", "fast", lambda c: c.fast, "answers quickly")

class ToyContract(ContractSuite):
    contract = "toy"
    capabilities: ClassVar[ToyCapabilities] = ToyCapabilities()

    @pytest.fixture
    def open_toy(self):
        pytest.fail("override `open_toy`: return a callable namespace -> implementation")

    def test_answers(self, open_toy):
        assert open_toy("ns")() == 42

    @requires("fast")
    def test_fast(self, open_toy):
        assert open_toy("ns")() == 42

    def test_strict(self, open_toy):
        assert open_toy("ns")() != 41
"""


@pytest.fixture(name="toy")
def _toy(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(toy_suite=TOY_SUITE)
    return pytester


def test_capability_gap_is_an_explicit_reported_skip(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_slow_impl="""
        import pytest
        from toy_suite import ToyCapabilities, ToyContract

        class TestSlow(ToyContract):
            capabilities = ToyCapabilities(fast=False)

            @pytest.fixture
            def open_toy(self):
                return lambda ns: (lambda: 42)
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*serpens contract report*",
            "ToyContract*TestSlow on in-process: 2 passed, 0 failed, 1 skipped, 0 known*",
            "*skipped test_fast: capability 'fast' not supported by TestSlow: answers quickly",
        ]
    )
    report = json.loads((toy.path / ".serpens" / "contract-report.json").read_text())
    (row,) = report["suites"]
    assert row["suite"] == "ToyContract"
    assert row["backends"] == ["in-process"]
    assert row["skipped"] == [
        {
            "test": "test_fast",
            "reason": "capability 'fast' not supported by TestSlow: answers quickly",
        }
    ]


def test_each_row_names_its_backend_and_counts_a_test_once(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_leaky_impl="""
        import pytest
        from toy_suite import ToyContract

        class TestLeaky(ToyContract):
            @pytest.fixture
            def contract_backend(self):
                return "Toy 1.2.3 (local)"

            @pytest.fixture
            def open_toy(self):
                yield lambda ns: (lambda: 42)
                raise RuntimeError("teardown fails after the test passed")
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=3)
    report = json.loads((toy.path / ".serpens" / "contract-report.json").read_text())
    (row,) = report["suites"]
    assert row["backends"] == ["Toy 1.2.3 (local)"]
    # Three tests: each failed in teardown once, so each counts once, as a failure.
    assert (row["passed"], row["failed"]) == (0, 3)
    result.stdout.fnmatch_lines(["*TestLeaky on Toy 1.2.3 (local): 0 passed, 3 failed*"])


def test_known_divergence_is_a_strict_xfail(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_odd_impl="""
        import pytest
        from toy_suite import ToyContract

        class TestOdd(ToyContract):
            known_divergences = {"test_strict": "always answers 41"}

            @pytest.fixture
            def open_toy(self):
                return lambda ns: (lambda: 41)
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["*diverges test_strict: known divergence: always answers 41"])


def test_fixed_divergence_fails_the_run(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_fixed_impl="""
        import pytest
        from toy_suite import ToyContract

        class TestFixed(ToyContract):
            known_divergences = {"test_strict": "was broken once"}

            @pytest.fixture
            def open_toy(self):
                return lambda ns: (lambda: 42)
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)


def test_forgotten_factory_fixture_fails_with_usage_hint(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_lazy_impl="""
        from toy_suite import ToyContract

        class TestLazy(ToyContract):
            pass
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*override `open_toy`*"])


def test_unknown_capability_name_is_a_usage_error(toy: pytest.Pytester) -> None:
    toy.makepyfile(
        test_typo_impl="""
        import pytest
        from serpens_contract import requires
        from toy_suite import ToyContract

        class TestTypo(ToyContract):
            @pytest.fixture
            def open_toy(self):
                return lambda ns: (lambda: 42)

            @requires("fsat")
            def test_extra(self, open_toy):
                assert open_toy("ns")() == 42
        """
    )
    result = toy.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown capability 'fsat' for contract 'toy'*"])


SUITES = (
    "cache",
    "document",
    "http",
    "outage",
    "parameters",
    "publisher",
    "queue",
    "rate_limit",
    "repository",
)
REGISTRY = """
import importlib, json, sys
for name in [sys.argv[1], *{suites!r}]:
    importlib.import_module("serpens_contract." + name)
from serpens_contract.capabilities import _REGISTRY
print(json.dumps(sorted([*key, cap.source, cap.description] for key, cap in _REGISTRY.items())))
"""


def test_the_capabilities_a_suite_sees_do_not_depend_on_which_suite_is_imported_first() -> None:
    """A name registered twice resolves the same way whichever suite comes first.

    The cache's own ``strict_outage`` replaces the outage cases' one in every order: a
    third party that imports one suite alone gets the skips this project's run gets.
    """
    script = REGISTRY.format(suites=SUITES)
    registries = {
        first: subprocess.run(
            [sys.executable, "-c", script, first], capture_output=True, text=True, check=True
        ).stdout
        for first in SUITES
    }
    assert len(set(registries.values())) == 1, registries.keys()
    entries = json.loads(registries["cache"])
    assert ["cache", "strict_outage", "capabilities"] in [e[:3] for e in entries]
