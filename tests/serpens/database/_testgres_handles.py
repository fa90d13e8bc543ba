"""Fixtures of the in-process serpens.testgres tests: setup() and the handles it made.

setup() exports ``DATABASE_URL`` (and ``REDIS_URL``), registers an exit hook and adds its
handle to the list created at a test run's start: each handle a test made is taken back
out of both and torn down, and the variables are restored.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from serpens import testgres

__all__ = ["Setup", "made_fixture", "setup_fixture"]

Setup = Callable[..., testgres.TestDatabase]


@pytest.fixture(name="made")
def made_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[testgres.TestDatabase]]:
    """The handles a test made: unhooked from exit and the run-start list, then torn down."""
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "REDIS_URL")}
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("TESTGRES_ALLOW_TRUNCATE", raising=False)
    handles: list[testgres.TestDatabase] = []
    yield handles
    for handle in handles:
        atexit.unregister(handle.teardown)
        testgres._HANDLES[:] = [h for h in testgres._HANDLES if h is not handle]
        handle.teardown()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(name="setup")
def setup_fixture(made: list[testgres.TestDatabase]) -> Setup:
    def run(*args: Any, **kwargs: Any) -> testgres.TestDatabase:
        handle = testgres.setup(*args, **kwargs)
        made.append(handle)
        return handle

    return run
