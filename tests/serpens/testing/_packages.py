"""Where installed packages live, found without importing them (the wheels' servers)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["package_dir"]


def package_dir(name: str) -> Path:
    """The directory of the installed package *name*."""
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.origin is not None
    return Path(spec.origin).parent
