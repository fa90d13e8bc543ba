"""Packaging: the wheel's top level, each public module's ``__all__``, and typed markers."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION_PACKAGES = [
    "serpens",
    "serpens_contract",
    "serpens_sqlalchemy",
    "serpens_redis",
    "serpens_httpx",
    "serpens_pubsub",
    "serpens_aws",
]


def public_modules() -> list[str]:
    """Every importable module of ours whose dotted path has no private component."""
    names: list[str] = []
    for package_name in DISTRIBUTION_PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names.extend(
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
            if not any(part.startswith("_") for part in info.name.split("."))
        )
    return sorted(names)


@pytest.fixture(scope="module", name="wheel")
def _wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("serpens-*.whl")
    return wheel


@pytest.fixture(scope="module", name="sdist")
def _sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "sdist", "--directory", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("serpens-*.tar.gz")
    return sdist


def _sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_wheel_and_sdist_ship_the_mit_license(wheel: Path, sdist: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (license_path,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")
        ]
        assert archive.read(license_path).startswith(b"MIT License")
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        assert "License-Expression: MIT" in archive.read(metadata).decode()
    assert "LICENSE" in _sdist_names(sdist)


def test_wheel_declares_the_small_contract_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    contract = sorted(
        line.split(":", 1)[1].split(";")[0].split(">")[0].strip()
        for line in lines
        if line.startswith("Requires-Dist:") and "extra == 'contract'" in line
    )
    assert contract == ["hypothesis", "pytest", "pytest-asyncio"]


def test_sdist_holds_every_file_the_tests_and_the_docs_build_read(sdist: Path) -> None:
    names = _sdist_names(sdist)
    tracked = subprocess.run(
        ["git", "ls-files", "tests", "docs", "examples", "bench", "scripts", ".ci"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    expected = {*tracked, "mkdocs.yml", "pyproject.toml", "README.md", "LICENSE"}
    if tracked:  # a git checkout: compare with what git tracks
        assert expected <= names, sorted(expected - names)
    for needed in ("mkdocs.yml", "examples/run.py", "scripts/unasync.py", ".ci/run"):
        assert needed in names, needed


def test_sdist_runs_its_own_docs_and_readme_tests(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (root,) = tmp_path.iterdir()
    paths = [str(root), str(root / "adapters"), str(root / "contract_tests")]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_readme.py",
            "tests/docs/test_docs_examples.py",
            "-k",
            "not standalone_example_runs",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_wheel_installs_only_serpens_top_level_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        top_level = {
            name.split("/")[0]
            for name in archive.namelist()
            if not name.split("/")[0].endswith(".dist-info")
        }
    assert "serpens" in top_level
    assert all(name == "serpens" or name.startswith("serpens_") for name in top_level), top_level
    assert {"adapters", "contract_tests", "tests", "docs"}.isdisjoint(top_level)


def test_wheel_ships_py_typed_for_every_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for package in DISTRIBUTION_PACKAGES:
        assert f"{package}/py.typed" in names, package


def test_wheel_registers_the_pytest_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "[pytest11]" in text
    assert "serpens_contract = serpens_contract.plugin" in text


def _defined_here(module: ModuleType, obj: object) -> bool:
    owner = getattr(obj, "__module__", None)
    return isinstance(owner, str) and (
        owner == module.__name__ or owner.startswith(f"{module.__name__}._")
    )


def _isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: SCREAMING_CASE constants, then CamelCase classes, then the rest."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


@pytest.mark.parametrize("name", public_modules())
def test_public_module_declares_a_sorted_complete_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_style), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    for attr in exported:
        assert getattr(module, attr, None) is not None or attr in vars(module), (
            f"{name}.__all__ names missing {attr}"
        )
    undeclared = sorted(
        attr
        for attr, obj in vars(module).items()
        if not attr.startswith("_")
        and not isinstance(obj, ModuleType)
        and (callable(obj) or isinstance(obj, type))
        and _defined_here(module, obj)
        and attr not in exported
    )
    assert undeclared == [], f"{name} defines public names missing from __all__: {undeclared}"
