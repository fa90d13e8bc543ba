"""The suite set-ups shown on the port pages run as a service's own test modules.

docs/messaging.md, docs/http.md and docs/pubsub.md each show a test module that runs a
contract suite; those tagged example files are copied into a fresh project and run by
pytest with the project's own configuration. Their implementations already run the full
suites in this folder, so a few tests per suite that use every fixture the page wires up
(the queue's clock, the HTTP scenario server and refusing URL, the Pub/Sub emulator) are
enough to prove the documented wiring.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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
SELECTED = [
    "test_send_and_receive_round_trip_body_attributes_and_metadata",
    "test_an_unacknowledged_message_is_redelivered_after_its_visibility_timeout",
    "test_request_headers_reach_the_server",
    "test_a_refused_connection_is_backend_unavailable",
    "test_each_publish_is_delivered_once",
    "test_a_missing_topic_is_not_found",
]


def test_the_documented_suite_modules_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    for name in DOCUMENTED:
        shutil.copy(EXAMPLES / name, pytester.path / f"test_{name}")
    pytester.makeini(INI)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-k", " or ".join(SELECTED),
        "--serpens-contract-report=report.json",
    )  # fmt: skip
    result.assert_outcomes(passed=len(SELECTED))
    rows = json.loads((pytester.path / "report.json").read_text(encoding="utf-8"))["suites"]
    assert sorted(row["suite"] for row in rows) == sorted(DOCUMENTED.values())
    assert all(row["passed"] == 2 and row["failed"] == 0 for row in rows), rows
