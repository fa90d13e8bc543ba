"""serpens.sentry: FilteredEvent, before_send and setup(), against a local Sentry endpoint.

``setup()`` runs in a fresh process (``sentry_sdk.init`` installs process-wide hooks) that
sends its envelopes to a small HTTP server of this test: the DSN points at loopback.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from serpens import sentry
from serpens.errors import SerpensError
from tests._examples import EXAMPLES, run_example
from tests.serpens._ingest import dsn, envelope_items, ingest

_SERVICE = """
import sentry_sdk

from serpens import sentry, sqs
from serpens.testing.sqs_events import sqs_event, sqs_record

sentry.setup()


@sqs.handler
def process(record):
    if record.raw_body == "filtered":
        raise sentry.FilteredEvent("an expected failure")
    raise RuntimeError("an unexpected failure")


event = sqs_event(sqs_record("filtered", message_id="m1"), sqs_record("boom", message_id="m2"))
print(process(event, None))
sentry_sdk.capture_exception(sentry.FilteredEvent("captured directly"))
sentry_sdk.flush(timeout=30)  # returns once the queue is empty; a loaded machine is slow
"""

_WITHOUT_SENTRY_SDK = """
import importlib.abc, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] == "sentry_sdk":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None
sys.meta_path.insert(0, Blocker())
from serpens import sentry
sentry.setup()
print("setup returned")
"""


class _Ingest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps the events it receives."""

    events: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        for kind, payload in envelope_items(self.headers.get("Content-Encoding"), body):
            if kind == "event":
                self.server.events.append(json.loads(payload))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="ingest")
def _ingest() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with ingest(_Ingest) as server:
        server.events = []  # type: ignore[attr-defined]
        yield dsn(server), server.events  # type: ignore[attr-defined]


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "RELEASE"))}
    env.pop("ENVIRONMENT", None)
    env.pop("DEBUG", None)
    return {**env, **values}


def _exception_types(event: dict[str, Any]) -> list[str]:
    return [value["type"] for value in event.get("exception", {}).get("values", [])]


class TestFilteredEvent:
    def test_is_a_plain_exception_as_in_2_9(self) -> None:
        assert issubclass(sentry.FilteredEvent, Exception)
        assert not issubclass(sentry.FilteredEvent, SerpensError)


class TestBeforeSend:
    def test_drops_the_event_of_a_filtered_event(self) -> None:
        error = sentry.FilteredEvent("expected")
        hint = {"exc_info": (type(error), error, None)}
        assert sentry.before_send({"level": "error"}, hint) is None

    def test_drops_the_event_of_a_filtered_event_subclass(self) -> None:
        class NotFoundFiltered(sentry.FilteredEvent):
            pass

        error = NotFoundFiltered("expected")
        assert sentry.before_send({}, {"exc_info": (type(error), error, None)}) is None

    @pytest.mark.parametrize(
        "hint",
        [
            pytest.param({}, id="no-exc-info"),
            pytest.param({"exc_info": None}, id="exc-info-none"),
            pytest.param(
                {"exc_info": (RuntimeError, RuntimeError("x"), None)}, id="another-exception"
            ),
        ],
    )
    def test_keeps_every_other_event(self, hint: dict[str, Any]) -> None:
        event = {"level": "error", "message": "kept"}
        assert sentry.before_send(event, hint) is event


class TestSetup:
    def test_without_sentry_dsn_it_does_nothing_and_needs_no_sdk(self, tmp_path: Path) -> None:
        result = run_example("-c", _WITHOUT_SENTRY_SDK, cwd=tmp_path, env=_env())
        assert result.returncode == 0, result.stderr
        assert "setup returned" in result.stdout

    def test_with_sentry_dsn_and_no_sdk_it_names_the_extra(self, tmp_path: Path) -> None:
        env = _env(SENTRY_DSN="http://public@127.0.0.1:9/1")
        result = run_example("-c", _WITHOUT_SENTRY_SDK, cwd=tmp_path, env=env)
        assert result.returncode != 0
        assert "MissingExtraError" in result.stderr
        assert "pip install 'serpens[sentry]'" in result.stderr
        assert "public@" not in result.stderr  # the DSN's key stays out of the message

    def test_sends_unexpected_failures_and_never_filtered_events(
        self, ingest: tuple[str, list[dict[str, Any]]], tmp_path: Path
    ) -> None:
        pytest.importorskip("sentry_sdk")
        dsn, events = ingest
        env = _env(SENTRY_DSN=dsn, ENVIRONMENT="staging", RELEASE="orders@1.2.3")
        result = run_example("-c", _SERVICE, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert "{'batchItemFailures': [{'itemIdentifier': 'm1'}, {'itemIdentifier': 'm2'}]}" in (
            result.stdout
        )
        assert [_exception_types(event) for event in events] == [["RuntimeError"]]
        (event,) = events
        assert event["environment"] == "staging"
        assert event["release"] == "orders@1.2.3"
        assert "[sentry] DEBUG" not in result.stderr

    def test_sentry_variables_win_and_debug_turns_the_sdk_output_on(
        self, ingest: tuple[str, list[dict[str, Any]]], tmp_path: Path
    ) -> None:
        pytest.importorskip("sentry_sdk")
        dsn, events = ingest
        env = _env(
            SENTRY_DSN=dsn,
            SENTRY_ENVIRONMENT="production",
            ENVIRONMENT="staging",
            SENTRY_RELEASE="orders@2.0.0",
            RELEASE="orders@1.2.3",
            DEBUG="true",
        )
        result = run_example("-c", _SERVICE, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert [(e["environment"], e["release"]) for e in events] == [
            ("production", "orders@2.0.0")
        ]
        assert "[sentry] DEBUG" in result.stderr

    def test_defaults_are_those_of_2_9(
        self, ingest: tuple[str, list[dict[str, Any]]], tmp_path: Path
    ) -> None:
        pytest.importorskip("sentry_sdk")
        dsn, events = ingest
        result = run_example("-c", _SERVICE, cwd=tmp_path, env=_env(SENTRY_DSN=dsn, DEBUG="no"))
        assert result.returncode == 0, result.stderr
        assert [(e["environment"], e["release"]) for e in events] == [("development", "app@0.0.0")]


def test_logger_exception_logs_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    error = ValueError("bad input")
    try:
        raise error  # a real traceback to log
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, "serpens.sentry"):
            sentry.logger_exception(exc)
    (record,) = caplog.records
    assert record.getMessage() == "bad input"
    assert record.exc_info is not None
    assert record.exc_info[1] is error


def test_the_docs_example_runs(tmp_path: Path) -> None:
    result = run_example(str(EXAMPLES / "sqs_sentry.py"), cwd=tmp_path, env=_env(), strict=True)
    assert result.returncode == 0, result.stderr
