"""CSV reading and writing that closes its files and defuses spreadsheet formulas.

``open_csv_reader`` yields rows from a UTF-8 file with or without a byte-order mark,
optionally sniffing the delimiter; ``open_csv_writer`` returns a writer that works with
or without ``with`` and always flushes and closes its file. Written cells that a
spreadsheet would evaluate as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return) are prefixed with ``'`` unless ``escape_formulas=False``.
"""

from __future__ import annotations

import csv
import io
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from serpens.errors import ValidationError

__all__ = [
    "CsvReader",
    "CsvWriter",
    "escape_formula",
    "open_csv_reader",
    "open_csv_writer",
    "rows_to_csv",
]

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SNIFF_BYTES = 64 * 1024
_SNIFF_DELIMITERS = ",;\t|"


def escape_formula(value: object) -> object:
    """Return *value* with a leading ``'`` if it is a string a spreadsheet would evaluate.

    Numbers are left alone: only text can smuggle a formula (``=HYPERLINK(...)``).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _sniff_delimiter(sample: str, default: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SNIFF_DELIMITERS).delimiter
    except csv.Error:
        # Single-column files and tiny samples have no detectable delimiter.
        return default


class _OwnedFile:
    """A text file the object opens and owns.

    It is closed by :meth:`close`, on leaving a ``with`` block, or when the object is
    garbage-collected or the interpreter exits.
    """

    def __init__(self, path: str | Path, mode: str, encoding: str) -> None:
        self.path = Path(path)
        self._file: IO[str] = self.path.open(mode, encoding=encoding, newline="")
        self._finalizer = weakref.finalize(self, self._file.close)

    def close(self) -> None:
        """Close the file, flushing what was written (idempotent)."""
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CsvReader(_OwnedFile):
    """Iterator over the rows of a CSV file; closes the file when exhausted or exited."""

    def __init__(
        self,
        path: str | Path,
        *,
        delimiter: str = ",",
        sniff: bool = False,
        encoding: str = "utf-8-sig",
    ) -> None:
        super().__init__(path, "r", encoding)
        self.encoding = encoding
        if sniff:
            sample = self._file.read(_SNIFF_BYTES)
            self._file.seek(0)
            delimiter = _sniff_delimiter(sample, delimiter)
        self.delimiter = delimiter
        self._rows = csv.reader(self._file, delimiter=delimiter)

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._rows)
        except StopIteration:
            self.close()
            raise
        except UnicodeDecodeError as exc:
            line = self._rows.line_num + 1
            self.close()
            raise ValidationError(
                f"{self.path.name} is not valid {self.encoding} text near line {line}"
            ) from exc
        except csv.Error as exc:
            self.close()
            raise ValidationError(f"{self.path.name}: malformed CSV: {exc}") from exc


class CsvWriter(_OwnedFile):
    """CSV writer over a file it owns: usable with ``with`` or plainly.

    The file is flushed and closed by ``close()``, on leaving a ``with`` block, or when
    the writer is garbage-collected or the interpreter exits, so the spec's plain
    ``w = open_csv_writer(...); w.writerow(...)`` never loses rows.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        delimiter: str = ",",
        encoding: str = "utf-8",
        escape_formulas: bool = True,
    ) -> None:
        super().__init__(path, "w", encoding)
        self._writer = csv.writer(self._file, delimiter=delimiter)
        self._escape = escape_formulas

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row."""
        self._writer.writerow([escape_formula(v) for v in row] if self._escape else row)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write every row of *rows*."""
        for row in rows:
            self.writerow(row)

    def flush(self) -> None:
        """Flush buffered rows to the file."""
        self._file.flush()

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._file.closed


def open_csv_reader(
    path: str | Path,
    *,
    delimiter: str = ",",
    sniff: bool = False,
    encoding: str = "utf-8-sig",
) -> CsvReader:
    """Open *path* and return an iterator of rows (lists of strings).

    Args:
        path: the CSV file.
        delimiter: the field separator, or the fallback when sniffing finds none.
        sniff: detect the delimiter among ``, ; tab |`` from the first 64 KiB.
        encoding: ``utf-8-sig`` reads UTF-8 with or without a byte-order mark.

    Raises:
        ValidationError: the file is not valid text in *encoding*, or not valid CSV.
    """
    return CsvReader(path, delimiter=delimiter, sniff=sniff, encoding=encoding)


def open_csv_writer(
    path: str | Path,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    escape_formulas: bool = True,
) -> CsvWriter:
    """Create (or truncate) *path* and return a :class:`CsvWriter` for it.

    Args:
        path: the CSV file to write.
        delimiter: the field separator.
        encoding: the file encoding (``utf-8-sig`` adds a BOM for Excel).
        escape_formulas: prefix text cells starting with ``= + - @``, tab or CR with
            ``'`` so spreadsheets show them instead of evaluating them (CSV injection).
    """
    return CsvWriter(path, delimiter=delimiter, encoding=encoding, escape_formulas=escape_formulas)


def rows_to_csv(rows: Iterable[Iterable[object]], *, escape_formulas: bool = True) -> str:
    """Return *rows* rendered as CSV text (handy for HTTP responses and tests)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([escape_formula(v) for v in row] if escape_formulas else row)
    return buffer.getvalue()
