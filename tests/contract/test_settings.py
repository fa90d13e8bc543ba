"""The contract suites' Hypothesis budget from the environment, and its refusals."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import hypothesis
import pytest

from serpens.errors import ConfigurationError
from serpens_contract.settings import hypothesis_settings


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "SERPENS_CONTRACT_PROFILE", "SERPENS_CONTRACT_EXAMPLES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SERPENS_CONTRACT_STEPS", "SERPENS_CONTRACT_SHRINK"):
        monkeypatch.delenv(name, raising=False)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return hypothesis_settings()


def test_the_profiles_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    dev = _settings(monkeypatch)
    assert (dev.max_examples, dev.stateful_step_count) == (25, 25)
    nightly = _settings(monkeypatch, SERPENS_CONTRACT_PROFILE="nightly")
    assert (nightly.max_examples, nightly.stateful_step_count) == (500, 100)
    mine = _settings(monkeypatch, SERPENS_CONTRACT_EXAMPLES="7", SERPENS_CONTRACT_STEPS="3")
    assert (mine.max_examples, mine.stateful_step_count) == (7, 3)
    unshrunk = _settings(monkeypatch, SERPENS_CONTRACT_SHRINK="0")
    assert hypothesis.Phase.shrink not in unshrunk.phases
    empty = _settings(monkeypatch, SERPENS_CONTRACT_PROFILE="", SERPENS_CONTRACT_EXAMPLES="")
    assert empty.max_examples == 25  # empty is unset, as for every serpens variable


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SERPENS_CONTRACT_PROFILE", "fast"),
        ("SERPENS_CONTRACT_EXAMPLES", "lots"),
        ("SERPENS_CONTRACT_EXAMPLES", "0"),
        ("SERPENS_CONTRACT_STEPS", "2.5"),
        ("SERPENS_CONTRACT_SHRINK", "maybe"),
    ],
)
def test_a_malformed_value_is_a_configuration_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        _settings(monkeypatch, **{name: value})


def test_importing_a_suite_without_pytest_asyncio_names_the_extra() -> None:
    """Its ``async`` cases would each fail with pytest's generic message instead."""
    script = (
        "import sys\n"
        "sys.modules['pytest_asyncio'] = None  # not installed\n"
        "from serpens.errors import MissingExtraError\n"
        "try:\n"
        "    from serpens_contract import CacheContract\n"
        "except MissingExtraError as exc:\n"
        "    print(type(exc).__mro__[1:4], exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'serpens[contract]'" in done.stdout
    assert "'pytest-asyncio' is not installed" in done.stdout
