"""Fixtures shared by the contract-suite tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def mutant_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis settings for the sandboxed mutant runs.

    Derandomised (the ``ci`` profile), so a differential test meets the same examples
    every run and catches a mutant always or never, not by luck; no shrinking, since a
    mutant run only needs to know that a test fails.
    """
    monkeypatch.setenv("SERPENS_CONTRACT_PROFILE", "ci")
    monkeypatch.setenv("SERPENS_CONTRACT_SHRINK", "0")
