"""docs/messaging.md examples that need moto's server run here (the rest run standalone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.mark.aws
def test_sqs_moto_example_runs(moto_endpoint: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "sqs_moto.py")],
        cwd=tmp_path,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.aws
def test_sqs_queue_example_runs(moto_endpoint: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / "sqs_queue.py")],
        cwd=tmp_path,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
