"""docs/parameters.md's AWS example, against a moto server of its own.

The example creates fixed names (``/orders/...``), so it gets a private server rather
than the session's shared one: an in-process one even where ``TEST_AWS_ENDPOINT_URL``
names a server, which a second run would find holding those names already.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serpens.testing import start_moto
from tests._examples import run_example

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "parameters_aws.py"


@pytest.mark.aws
def test_parameters_aws_example_runs(tmp_path: Path) -> None:
    with start_moto("inproc") as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=server.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
        )
        result = run_example(str(EXAMPLE), cwd=tmp_path, env=env, strict=True)
    assert result.returncode == 0, result.stderr[-3000:]
