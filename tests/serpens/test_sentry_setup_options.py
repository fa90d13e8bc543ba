"""``sentry.setup()`` and ``sentry.logger_exception()`` in this process, with the real SDK.

tests/serpens/test_sentry.py runs a service in a fresh interpreter and reads the events it
sends; these read back the options ``setup()`` gave ``sentry_sdk`` here: the DSN, the
environment and release from their variables in order (then 2.9's defaults), ``debug``
from ``DEBUG``'s values, and :func:`serpens.sentry.before_send` as the hook. And
``logger_exception`` waits until the events already captured have left.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from serpens import sentry
from serpens.errors import MissingExtraError
from tests.serpens._ingest import dsn, envelope_items, ingest

sentry_sdk = pytest.importorskip("sentry_sdk")

_VARIABLES = ("SENTRY_DSN", "SENTRY_ENVIRONMENT", "ENVIRONMENT", "SENTRY_RELEASE", "RELEASE")
_ANSWER_DELAY = 0.1
"""Seconds the ingest endpoint waits before it answers, so a send takes that long."""


class _SlowIngest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: counts the events, then answers after a delay."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        for kind, _ in envelope_items(self.headers.get("Content-Encoding"), body):
            if kind == "event":
                self.server.received.append(kind)  # type: ignore[attr-defined]
        time.sleep(_ANSWER_DELAY)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="ingest")
def _ingest() -> Iterator[tuple[str, list[str]]]:
    with ingest(_SlowIngest) as server:
        server.received = []  # type: ignore[attr-defined]
        yield dsn(server), server.received  # type: ignore[attr-defined]


@pytest.fixture(name="sdk_options")
def _sdk_options(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The options of the client ``setup()`` makes; the client is closed and dropped after."""
    for name in (*_VARIABLES, "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    options: dict[str, Any] = {}
    yield options
    client = sentry_sdk.get_client()
    client.close(timeout=0)
    sentry_sdk.Scope.get_global_scope().set_client(None)  # sentry-sdk 2.0 has no shortcut


def _options() -> dict[str, Any]:
    client = sentry_sdk.get_client()
    assert client.is_active()
    return dict(client.options)


def test_setup_passes_the_dsn_and_the_filtering_hook(
    ingest: tuple[str, list[str]], sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, _ = ingest
    monkeypatch.setenv("SENTRY_DSN", dsn)
    sentry.setup()
    sdk_options.update(_options())
    assert sdk_options["dsn"] == dsn
    assert sdk_options["before_send"] is sentry.before_send


def test_setup_defaults_are_those_of_2_9(
    ingest: tuple[str, list[str]], sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_DSN", ingest[0])
    sentry.setup()
    sdk_options.update(_options())
    assert (sdk_options["environment"], sdk_options["release"]) == ("development", "app@0.0.0")
    assert sdk_options["debug"] is False


def test_setup_reads_environment_and_release_from_the_plain_variables(
    ingest: tuple[str, list[str]], sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_DSN", ingest[0])
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("RELEASE", "orders@1.2.3")
    sentry.setup()
    sdk_options.update(_options())
    assert (sdk_options["environment"], sdk_options["release"]) == ("staging", "orders@1.2.3")


def test_setup_prefers_the_sentry_variables(
    ingest: tuple[str, list[str]], sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_DSN", ingest[0])
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("SENTRY_RELEASE", "orders@2.0.0")
    monkeypatch.setenv("RELEASE", "orders@1.2.3")
    sentry.setup()
    sdk_options.update(_options())
    assert (sdk_options["environment"], sdk_options["release"]) == ("production", "orders@2.0.0")


@pytest.mark.parametrize("value", [" Yes ", "TRUE", "1"])
def test_setup_turns_debug_on_for_2_9s_values_in_any_case(
    ingest: tuple[str, list[str]],
    sdk_options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    monkeypatch.setenv("SENTRY_DSN", ingest[0])
    monkeypatch.setenv("DEBUG", value)
    sentry.setup()
    sdk_options.update(_options())
    assert sdk_options["debug"] is True


def test_setup_without_the_sdk_names_the_extra(
    sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRY_DSN", "http://public@127.0.0.1:9/1")
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'serpens\[sentry\]'"):
        sentry.setup()
    assert sdk_options == {}


def test_logger_exception_waits_for_the_captured_events_to_leave(
    ingest: tuple[str, list[str]], sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, received = ingest
    monkeypatch.setenv("SENTRY_DSN", dsn)
    sentry.setup()
    sdk_options.update(_options())
    sentry_sdk.capture_message("first")
    sentry_sdk.capture_message("second")
    sentry.logger_exception(RuntimeError("failed"))
    # both messages and the logged error's event (the SDK's logging integration) have left
    assert len(received) == 3


def test_logger_exception_gives_up_on_a_frozen_endpoint_after_two_seconds(
    sdk_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Lambda's last call must not hang on Sentry: the flush ends in its 2 s (2.9's bound).

    The endpoint takes the connection (the kernel's backlog) and the request, and never
    answers, so the event never leaves and only the bound ends the wait.
    """
    with socket.create_server(("127.0.0.1", 0), backlog=16) as frozen:
        monkeypatch.setenv("SENTRY_DSN", f"http://public@127.0.0.1:{frozen.getsockname()[1]}/1")
        sentry.setup()
        sdk_options.update(_options())
        began = time.monotonic()
        sentry.logger_exception(RuntimeError("failed"))
        elapsed = time.monotonic() - began
    # the bound, with room for a loaded machine's late wake-up, and not a second more
    assert 1.9 <= elapsed < 2.9
