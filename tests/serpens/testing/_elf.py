"""Small ELF files built to the System V ABI's layout, for the harness's ELF reader.

The shipped binaries are 64-bit little-endian; the reader also reads 32-bit and big-endian
files, and a built file pins each of its fields where a real binary cannot: addresses above
the signed range (the ABI's types are unsigned), a segment's physical address and memory
size unlike its virtual address and file size, a string table at the very first address of
its segment, which ends where another ends, and an entry after ``DT_NULL``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["HIGH_BASE", "Elf"]

_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29
_INTERP_AT, _DYNAMIC_AT, _DECOY_AT, _STRTAB_AT = 0x200, 0x300, 0x1000, 0x2000

HIGH_BASE = {True: 0x8000_0000_0000_0000, False: 0x8000_0000}
"""A load address above the signed range of 64-bit (True) and 32-bit (False) fields."""


@dataclass
class Elf:
    """What the file holds; :meth:`build` lays it out."""

    wide: bool = True
    big: bool = False
    base: int = 0x40_0000
    machine: int = 62  # EM_X86_64
    interpreter: str | None = "/lib64/ld-linux-x86-64.so.2"
    needed: tuple[str, ...] = ("libpq.so.5", "libc.so.6")
    rpath: str | None = None
    runpath: str | None = None
    dynamic: bool = True
    strtab: bool = True
    ghost: str = "libghost.so.1"  # a DT_NEEDED after DT_NULL: never read
    strings: dict[str, int] = field(default_factory=dict, init=False)

    def build(self) -> bytes:
        """The file's bytes: two loadable segments, then interpreter and dynamic segments."""
        order = ">" if self.big else "<"
        word = "Q" if self.wide else "I"
        table = self._string_table()
        # segment 1 maps the file's first 4 KiB; segment 2, the string table, starts at the
        # address where segment 1 ends, and the decoy bytes behind segment 1 are not names
        second = self.base + _DECOY_AT
        loads = [(0, self.base, _DECOY_AT), (_STRTAB_AT, second, len(table))]
        entries = self._dynamic_entries(second)
        dynamic_size = len(entries) * struct.calcsize(order + ("qQ" if self.wide else "iI"))
        headers = [(_PT_LOAD, offset, vaddr, size) for offset, vaddr, size in loads]
        if self.interpreter is not None:
            headers.append((_PT_INTERP, _INTERP_AT, 0, len(self.interpreter) + 1))
        if self.dynamic:
            headers.append((_PT_DYNAMIC, _DYNAMIC_AT, 0, dynamic_size))
        image = bytearray(_STRTAB_AT) + table
        header_size, entry_size = (64, 56) if self.wide else (52, 32)
        ident = b"\x7fELF" + bytes([2 if self.wide else 1, 2 if self.big else 1, 1])
        image[0:header_size] = struct.pack(
            f"{order}16sHHI{word}{word}{word}IHHHHHH",
            ident.ljust(16, b"\0"),
            2,  # ET_EXEC
            self.machine,
            1,
            self.base,
            header_size,
            0,
            0,
            header_size,
            entry_size,
            len(headers),
            0,
            0,
            0,
        )
        for index, (kind, offset, vaddr, size) in enumerate(headers):
            at = header_size + index * entry_size
            # the physical address and the memory size differ from vaddr and the file size
            if self.wide:  # type flags offset vaddr paddr filesz memsz align
                fields = (kind, 5, offset, vaddr, 0x1000, size, size + 0x10000, 0x1000)
                image[at : at + 56] = struct.pack(order + "IIQQQQQQ", *fields)
            else:  # type offset vaddr paddr filesz memsz flags align
                fields = (kind, offset, vaddr, 0x1000, size, size + 0x10000, 5, 0x1000)
                image[at : at + 32] = struct.pack(order + "IIIIIIII", *fields)
        if self.interpreter is not None:
            text = self.interpreter.encode() + b"\0"
            image[_INTERP_AT : _INTERP_AT + len(text)] = text
        packed = b"".join(struct.pack(order + ("qQ" if self.wide else "iI"), *e) for e in entries)
        image[_DYNAMIC_AT : _DYNAMIC_AT + len(packed)] = packed
        image[_DECOY_AT:_STRTAB_AT] = (b"decoy/" * _STRTAB_AT)[: _STRTAB_AT - _DECOY_AT]
        return bytes(image)

    def _string_table(self) -> bytes:
        table = bytearray(b"\0")
        for text in (*self.needed, self.rpath, self.runpath, self.ghost):
            if text is not None and text not in self.strings:
                self.strings[text] = len(table)
                table += text.encode() + b"\0"
        return bytes(table)

    def _dynamic_entries(self, strtab_address: int) -> list[tuple[int, int]]:
        entries = [(_DT_NEEDED, self.strings[name]) for name in self.needed[:1]]
        if self.runpath is not None:  # RUNPATH first here: the reader lists RPATH first
            entries.append((_DT_RUNPATH, self.strings[self.runpath]))
        entries += [(_DT_NEEDED, self.strings[name]) for name in self.needed[1:]]
        if self.rpath is not None:
            entries.append((_DT_RPATH, self.strings[self.rpath]))
        if self.strtab:
            entries.append((_DT_STRTAB, strtab_address))
        return [*entries, (_DT_NULL, 0), (_DT_NEEDED, self.strings[self.ghost])]
