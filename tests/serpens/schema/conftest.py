"""Fixtures of the schema tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _fresh_schema_caches() -> None:
    """Under mutation testing, every test compiles the loaders and dumpers it uses afresh.

    ``serpens.schema`` compiles a class's construction check, loader, fast path and
    dumper on first use and keeps them per process, so mutmut, which maps each function
    to the tests that call it, would check a code generator's mutants against the one test
    that used a class first, not the ones that watch what the compiled code does. Outside
    a mutation run (mutmut sets ``MUTANT_UNDER_TEST``) this does nothing.
    """
    if "MUTANT_UNDER_TEST" in os.environ:
        from serpens.schema import _construct, _dump, _fast, _load, _numbers  # noqa: PLC0415

        for cache in (_construct._checks, _dump._dumpers, _fast.FAST, _load.loaders):
            cache.clear()
        _numbers._NEEDS.clear()
