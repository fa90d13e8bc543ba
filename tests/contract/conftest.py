"""Fixtures shared by the contract-suite tests."""

from __future__ import annotations

# Imported before any pytester run: an inline run snapshots sys.modules and drops what it
# imported on exit, so an SDK first imported inside one would be imported a second time
# afterwards, and httpx (which imports httpcore lazily) would no longer recognise the
# second httpcore's exception classes.
import httpcore  # noqa: F401
import httpx  # noqa: F401
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
