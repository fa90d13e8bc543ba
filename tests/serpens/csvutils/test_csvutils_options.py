"""The options of ``serpens.csvutils`` readers and writers, on real files (``tmp_path``).

Pinned: ``sniff=False`` reads with ``,`` (no sniffing), a given ``delimiter`` is used as
is; the sniffed dialect's quote character is honoured (not only its delimiter); a quoted
field keeps its ``\\r\\n`` (the file is opened with ``newline=""``, as the csv module
requires); a file ending in half a UTF-8 character is read as ISO-8859-1; a file not
valid in the encoding given fails naming line 1. The writer's defaults (``excel``,
UTF-8, formulas escaped), its ``delimiter`` kept with the dialect, its ``encoding``; and
``rows_to_csv(escape_formulas=False)`` writing cells as they are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from serpens import csvutils
from serpens.errors import ValidationError


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    return path


def test_without_sniffing_a_semicolon_file_is_one_column(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a;b\r\n1;2\r\n")
    assert list(csvutils.open_csv_reader(path, sniff=False)) == [{"a;b": "1;2"}]


def test_a_given_delimiter_is_used_as_is(tmp_path: Path) -> None:
    path = _file(tmp_path, b"a;b\r\n1;2,3\r\n")
    assert list(csvutils.open_csv_reader(path, delimiter=";")) == [{"a": "1", "b": "2,3"}]


def test_the_sniffed_quote_character_is_honoured(tmp_path: Path) -> None:
    path = _file(tmp_path, b"'a';'b'\r\n'1';'x;y'\r\n")
    assert list(csvutils.open_csv_reader(path)) == [{"a": "1", "b": "x;y"}]


@pytest.mark.parametrize("sniff", [True, False])
def test_a_quoted_field_keeps_its_line_break(tmp_path: Path, sniff: bool) -> None:
    path = _file(tmp_path, b'id,note\r\n1,"two\r\nlines"\r\n')
    assert list(csvutils.open_csv_reader(path, sniff=sniff)) == [
        {"id": "1", "note": "two\r\nlines"}
    ]


def test_a_file_ending_in_half_a_utf8_character_is_read_as_latin1(tmp_path: Path) -> None:
    path = _file(tmp_path, b"name\r\nA\xc3")
    reader = csvutils.open_csv_reader(path)
    assert list(reader) == [{"name": "A\u00c3"}]
    assert reader.encoding == "iso-8859-1"


def test_a_file_not_valid_in_the_given_encoding_fails_naming_line_1(tmp_path: Path) -> None:
    path = _file(tmp_path, b"name\r\nA\xe7a\xed\r\n")
    with pytest.raises(ValidationError, match=r"not valid utf-8 text near line 1$"):
        csvutils.open_csv_reader(path, encoding="utf-8")


def test_the_writer_defaults_to_excel_utf8_and_escaped_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with csvutils.CsvWriter(path) as writer:
        writer.writerow(["=1+1", "Açaí"])
    assert path.read_bytes() == "'=1+1,Açaí\r\n".encode()


def test_a_writer_delimiter_keeps_the_rest_of_the_dialect(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with csvutils.open_csv_writer(path, "unix", delimiter=";") as writer:
        writer.writerow(["a", "b"])
    assert path.read_text(encoding="utf-8") == '"a";"b"\n'


def test_the_writer_encodes_with_the_encoding_given(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with csvutils.open_csv_writer(path, encoding="iso-8859-1") as writer:
        writer.writerow(["Açaí"])
    assert path.read_bytes() == b"A\xe7a\xed\r\n"


def test_rows_to_csv_can_leave_formulas_as_they_are() -> None:
    assert csvutils.rows_to_csv([["=1+1"]], escape_formulas=False) == "=1+1\r\n"
    assert csvutils.rows_to_csv([["=1+1"]]) == "'=1+1\r\n"


def test_a_given_delimiter_skips_sniffing_the_quote_character(tmp_path: Path) -> None:
    """``delimiter`` given: the excel dialect with it, not a sniffed quote character."""
    path = _file(tmp_path, b"'a';'b'\r\n")
    reader = csvutils.open_csv_reader(path, delimiter=";")
    assert reader.fieldnames == ["'a'", "'b'"]
    reader.close()


def test_the_reader_class_sniffs_by_default_and_names_utf8_files_utf8_sig(
    tmp_path: Path,
) -> None:
    """``CsvReader(path)`` as ``open_csv_reader(path)``: sniffed, BOM-tolerant UTF-8."""
    path = _file(tmp_path, "a;b\r\n1;Açaí\r\n".encode())
    with csvutils.CsvReader(path) as reader:
        assert list(reader) == [{"a": "1", "b": "Açaí"}]
        assert reader.encoding == "utf-8-sig"
