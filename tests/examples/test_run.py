"""``examples/run.py``, the README's main command, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "examples" / "run.py"


def test_run_drives_the_scenario_and_exits_cleanly(
    orders_db_url: str, redis_url: str, pubsub_emulator_host: str, moto_endpoint: str
) -> None:
    env = {
        **os.environ,
        # The session's servers, so the script does not start its own.
        "DATABASE_URL": orders_db_url,
        "REDIS_URL": redis_url,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator_host,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }

    result = subprocess.run(
        [sys.executable, str(RUN)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "PostgreSQL  from DATABASE_URL" in out
    assert "order 1 again: ana's retry, same key, answered from the first" in out
    assert "order 4" not in out  # the retry placed nothing
    assert "mug    cache hit" in out
    assert out.count("order.created  order") == 3
    assert out.count("event id ") == 3
    assert "order 3 delivery 1: reported in batchItemFailures" in out
    assert "order 3 delivery 2: done" in out
    assert "order 1 fulfilled, order 2 fulfilled, order 3 fulfilled" in out
    assert "done in" in out
