"""Run the documentation's example files the way a user does: in a fresh Python process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["EXAMPLES", "run_example"]

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def run_example(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    strict: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in *cwd* and return the finished process (output captured).

    *env* defaults to this process's environment; *strict* turns warnings into errors
    (``-W error``), so an example that triggers a deprecation fails.
    """
    flags = ["-W", "error"] if strict else []
    return subprocess.run(
        [sys.executable, *flags, *args],
        cwd=cwd,
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
