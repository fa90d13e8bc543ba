"""CSV reading and writing that closes its files and defuses spreadsheet formulas.

As in serpens 2.9, ``open_csv_reader`` yields each row as a dict keyed by the header
(a :class:`csv.DictReader` with ``.fieldnames``), sniffing the dialect (``;``, ``,``, tab)
and reading UTF-8 with or without a byte-order mark, falling back to ISO-8859-1 when the
file is not UTF-8. ``open_csv_writer(path, dialect)`` returns a writer that works with or
without ``with`` and always flushes and closes its file. Written cells that a spreadsheet
would evaluate as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) are
prefixed with ``'`` unless ``escape_formulas=False``; plain numbers (``-12.50``,
``+5511999999999``) are never rewritten.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import weakref
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self, cast

from serpens.errors import ValidationError

__all__ = [
    "CsvReader",
    "CsvWriter",
    "Dialect",
    "escape_formula",
    "open_csv_reader",
    "open_csv_writer",
    "rows_to_csv",
]

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_SNIFF_BYTES = 64 * 1024
_SNIFF_DELIMITERS = ",;\t|"
_FALLBACK_ENCODING = "iso-8859-1"
_CHUNK = 1024 * 1024
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

Dialect = str | csv.Dialect | type[csv.Dialect]
"""A registered dialect name (``"excel"``, ``"excel-tab"``, ``"unix"``) or a Dialect."""


def escape_formula(value: object) -> object:
    """Return *value* with a leading ``'`` if a spreadsheet would evaluate its text.

    Any cell is judged by the text the CSV writer would write (``str(value)``), so a
    ``Path`` or an object whose ``str`` starts with ``=`` is escaped too. Numbers, and
    text that is a plain number (``-12.50``, ``+5511999999999``), are left alone: only
    text can smuggle a formula (``=HYPERLINK(...)``).
    """
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return value


def _sniff_dialect(sample: str, delimiter: str) -> Any:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SNIFF_DELIMITERS)
    except csv.Error:
        # Single-column files and tiny samples have no detectable delimiter.
        class Fallback(csv.excel):
            pass

        Fallback.delimiter = delimiter
        return Fallback


def _detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the whole file is UTF-8 (BOM or not), else ISO-8859-1.

    A UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text") names its encoding. The
    file is scanned in chunks with an incremental decoder, so memory stays bounded and a
    non-UTF-8 byte anywhere (not only in the first buffer) is noticed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            head = raw.read(4)
            for mark, encoding in _WIDE_BOMS:
                if head.startswith(mark):
                    return encoding
            raw.seek(0)
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return _FALLBACK_ENCODING
    return "utf-8-sig"


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


if TYPE_CHECKING:
    _DictReader = csv.DictReader[str]
else:  # not subscriptable at run time before Python 3.12
    _DictReader = csv.DictReader
_FIELDNAMES: Any = vars(csv.DictReader)["fieldnames"]  # the property, for its setter


class CsvReader(_OwnedFile, _DictReader):
    """Iterator of dict rows keyed by the header; closes the file when exhausted or exited.

    A :class:`csv.DictReader`, as serpens 2.9's reader was (``reader``, ``restkey``,
    ``restval``, ``line_num``). ``fieldnames`` is the header row, ``dialect`` the
    (sniffed) dialect, ``delimiter`` its delimiter and ``encoding`` the encoding the file
    was read with.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        delimiter: str | None = None,
        sniff: bool = True,
        encoding: str | None = None,
    ) -> None:
        path = Path(path)
        self._exhausted = False
        self.encoding = encoding or _detect_encoding(path)
        _OwnedFile.__init__(self, path, "r", self.encoding)
        dialect: Any = csv.excel
        if delimiter is None and sniff:
            try:
                sample = self._file.read(_SNIFF_BYTES)
            except UnicodeDecodeError as exc:
                self.close()
                raise self._not_text(1) from exc
            self._file.seek(0)
            dialect = _sniff_dialect(sample, ",")
        self.delimiter: str = delimiter or dialect.delimiter
        csv.DictReader.__init__(self, self._file, dialect=dialect, delimiter=self.delimiter)
        self.dialect = dialect

    def _not_text(self, line: int) -> ValidationError:
        return ValidationError(
            f"{self.path.name} is not valid {self.encoding} text near line {line}"
        )

    @property
    def fieldnames(self) -> Sequence[str] | None:
        """The header row (read on first access), or None for an empty file."""
        if self._exhausted:  # read to the end: the header is known, the file closed
            return cast("Sequence[str] | None", vars(self).get("_fieldnames"))
        try:
            return super().fieldnames
        except UnicodeDecodeError as exc:
            self.close()
            raise self._not_text(1) from exc
        except csv.Error as exc:
            self.close()
            raise ValidationError(f"{self.path.name}: malformed CSV: {exc}") from exc

    @fieldnames.setter
    def fieldnames(self, value: Sequence[str] | None) -> None:
        _FIELDNAMES.fset(self, value)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> dict[str | Any, str | Any]:
        try:
            return super().__next__()
        except StopIteration:
            self._exhausted = True
            self.close()
            raise
        except UnicodeDecodeError as exc:
            line = self.line_num + 1
            self.close()
            raise self._not_text(line) from exc
        except csv.Error as exc:
            self.close()
            raise ValidationError(f"{self.path.name}: malformed CSV: {exc}") from exc


class CsvWriter(_OwnedFile):
    """CSV writer over a file it owns: usable with ``with`` or plainly.

    Every row is in the file when ``writerow``/``writerows`` returns, so the spec's plain
    ``w = open_csv_writer(...); w.writerow(...)`` never loses rows and the file can be
    read (or uploaded) at once. The file is closed by ``close()``, on leaving a ``with``
    block, or when the writer is garbage-collected or the interpreter exits.
    """

    def __init__(
        self,
        path: str | Path,
        dialect: Dialect = "excel",
        *,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        escape_formulas: bool = True,
    ) -> None:
        super().__init__(path, "w", encoding)
        try:
            if delimiter is None:
                self._writer = csv.writer(self._file, dialect)
            else:
                self._writer = csv.writer(self._file, dialect, delimiter=delimiter)
        except (csv.Error, TypeError) as exc:
            self.close()
            raise ValidationError(f"invalid CSV dialect {dialect!r}: {exc}") from None
        self._escape = escape_formulas

    @property
    def dialect(self) -> Any:
        """The ``csv.writer``'s dialect (delimiter, quoting, ...), as in serpens 2.9."""
        return self._writer.dialect

    def writerow(self, row: Iterable[object]) -> Any:
        """Write one row; return what ``csv.writer.writerow`` does (characters written)."""
        written = self._write(row)
        self._file.flush()
        return written

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write every row of *rows* (flushed once, at the end)."""
        try:
            for row in rows:
                self._write(row)
        finally:
            self._file.flush()

    def _write(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([escape_formula(v) for v in row] if self._escape else row)

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
    delimiter: str | None = None,
    sniff: bool = True,
    encoding: str | None = None,
) -> CsvReader:
    """Open *path* and return an iterator of rows, each a dict keyed by the header.

    Args:
        path: the CSV file; its first row is the header (``reader.fieldnames``).
        delimiter: the field separator; given, no sniffing happens.
        sniff: detect the dialect (delimiter ``;`` ``,`` tab ``|``, quoting) from the
            first 64 KiB; a single-column file falls back to ``,``.
        encoding: ``None`` reads UTF-8 with or without a byte-order mark, UTF-16 or
            UTF-32 when the file starts with their byte-order mark, and falls back to
            ISO-8859-1 when the file is not UTF-8 anywhere; or name one.

    Raises:
        ValidationError: the file is not valid text in the given *encoding*, or not
            valid CSV.
    """
    return CsvReader(path, delimiter=delimiter, sniff=sniff, encoding=encoding)


def open_csv_writer(
    path: str | Path,
    dialect: Dialect = "excel",
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    escape_formulas: bool = True,
) -> CsvWriter:
    """Create (or truncate) *path* and return a :class:`CsvWriter` for it.

    Args:
        path: the CSV file to write.
        dialect: a dialect name (``"excel"``, ``"excel-tab"``, ``"unix"``) or a
            :class:`csv.Dialect`, positional as in serpens 2.9.
        delimiter: overrides the dialect's field separator.
        encoding: the file encoding (``utf-8-sig`` adds a BOM for Excel).
        escape_formulas: prefix cells starting with ``= + - @``, tab or CR with ``'``
            so spreadsheets show them instead of evaluating them (CSV injection);
            plain numbers are never rewritten.

    Raises:
        ValidationError: *dialect* is not a known dialect.
    """
    return CsvWriter(
        path, dialect, delimiter=delimiter, encoding=encoding, escape_formulas=escape_formulas
    )


def rows_to_csv(rows: Iterable[Iterable[object]], *, escape_formulas: bool = True) -> str:
    """Return *rows* rendered as CSV text (handy for HTTP responses and tests)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([escape_formula(v) for v in row] if escape_formulas else row)
    return buffer.getvalue()
