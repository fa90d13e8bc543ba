"""docs/messaging.md examples that need moto's server run here (the rest run standalone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests._examples import EXAMPLES, run_example


@pytest.mark.aws
def test_sqs_moto_example_runs(moto_endpoint: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "sqs_moto.py"),
        cwd=tmp_path,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.aws
def test_sqs_queue_example_runs(moto_endpoint: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "sqs_queue.py"),
        cwd=tmp_path,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
        strict=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.aws
def test_sqs_publish_example_runs(moto_endpoint: str, tmp_path: Path) -> None:
    result = run_example(
        str(EXAMPLES / "sqs_publish.py"),
        cwd=tmp_path,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint},
        strict=True,
    )
    assert result.returncode == 0, result.stderr
