"""The elastic-apm publish span, the httpx header check and the installed check, in edge cases.

A publish span is a leaf named for the topic's last segment (a topic without a path is
its own name), so a client call inside it records no span of its own. Without elastic-apm's
httpcore instrumentation (or without httpcore imported) serpens writes the trace header
itself. An import hook that hides elasticapm makes ``installed()`` false.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

import elasticapm
import httpcore
import pytest

from serpens import _apm
from tests._apm import RecordedApm, recorded_apm


@pytest.fixture(name="apm")
def _recorded() -> Iterator[RecordedApm]:
    with recorded_apm() as recorded:
        yield recorded


def _in_transaction(apm: RecordedApm, call: Callable[[], Any]) -> Any:
    apm.client.begin_transaction("lambda")
    try:
        return call()
    finally:
        apm.client.end_transaction("handler")  # type: ignore[no-untyped-call]


def _publish(topic: str) -> None:
    with _apm.publish_span(topic), elasticapm.capture_span("inner call"):
        pass


@pytest.mark.parametrize(
    ("topic", "name"),
    [("projects/p/topics/orders", "orders"), ("orders", "orders")],
)
def test_a_publish_span_is_a_leaf_named_for_the_topic(
    apm: RecordedApm, topic: str, name: str
) -> None:
    _in_transaction(apm, lambda: _publish(topic))
    (span,) = apm.spans()  # the inner call is dropped under a leaf
    assert span["name"] == f"PubSub PUBLISH to {name}"
    assert span["context"]["tags"] == {"queue_name": topic}


def test_without_elastic_apm_s_httpcore_instrumentation_serpens_writes_the_header(
    apm: RecordedApm,
) -> None:
    assert httpcore.AsyncConnectionPool is not None  # httpcore's connection module imported
    assert "httpcore._async.connection" in sys.modules
    assert _in_transaction(apm, _apm.writes_http_trace_context) is False


def test_without_httpcore_imported_serpens_writes_the_header(
    apm: RecordedApm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "httpcore._async.connection")
    assert _in_transaction(apm, _apm.writes_http_trace_context) is False


class _HideElasticApm(importlib.abc.MetaPathFinder):
    """An import hook that refuses elasticapm, as some sandboxes' hooks do."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname == "elasticapm":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def test_installed_is_false_when_an_import_hook_hides_elasticapm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_apm, "_installed", None)
    monkeypatch.delitem(sys.modules, "elasticapm")
    monkeypatch.setattr(sys, "meta_path", [_HideElasticApm(), *sys.meta_path])
    assert _apm.installed() is False
