"""The documentation site: ``mkdocs build --strict`` passes and covers every page and module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_packaging import public_modules

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _nav_pages(entries: list[Any]) -> set[str]:
    pages: set[str] = set()
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages |= _nav_pages(value) if isinstance(value, list) else {value}
    return pages


@pytest.fixture(name="config", scope="module")
def _config() -> dict[str, Any]:
    # mkdocs.yml uses no custom YAML tags, so the safe loader reads it.
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return loaded


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    ports = (site / "reference" / "ports" / "index.html").read_text(encoding="utf-8")
    assert 'id="serpens.ports.Cache.get_or_set"' in ports  # rendered from the docstrings
    assert not (site / "examples").exists()


def test_every_page_is_in_the_nav(config: dict[str, Any]) -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert _nav_pages(config["nav"]) == pages


def test_every_public_module_has_a_reference_block() -> None:
    blocks = {
        match[1]
        for page in (DOCS / "reference").glob("*.md")
        for match in re.finditer(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert blocks == set(public_modules()) - {"serpens"}
