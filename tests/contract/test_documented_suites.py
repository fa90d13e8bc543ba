"""The suite set-ups shown on the port pages run as a service's own test modules.

docs/messaging.md, docs/http.md and docs/pubsub.md each show a test module that runs a
contract suite; those tagged example files are copied into a fresh project and run by
pytest in a separate process. Their implementations already run the full suites in this
folder, so only the example tests run here (the differential ones are deselected to keep
this quick): the point is that the documented wiring works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
DOCUMENTED = {
    "contract_queue.py": "QueueContract",
    "contract_http_client.py": "HttpClientContract",
    "contract_publisher.py": "PublisherContract",
}
INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def test_the_documented_suite_modules_pass(tmp_path: Path) -> None:
    for name in DOCUMENTED:
        shutil.copy(EXAMPLES / name, tmp_path / f"test_{name}")
    (tmp_path / "pytest.ini").write_text(INI, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PUBSUB_EMULATOR_HOST"}
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "-k", "not differential and not generated_requests",
            "--serpens-contract-report=report.json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["suites"]
    assert sorted(row["suite"] for row in rows) == sorted(DOCUMENTED.values())
    for row in rows:
        assert row["failed"] == 0
        assert row["passed"] >= 10, row
        assert row["skipped"] == [], row
