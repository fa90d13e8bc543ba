"""Reading and writing as services do between two lines of code, and files Excel writes."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import pytest

from serpens import csvutils as csv
from serpens.errors import ValidationError


def test_a_written_row_is_in_the_file_before_the_writer_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    w = csv.open_csv_writer(path)
    w.writerow(["id", "name"])
    w.writerow(["1", "Açaí"])
    assert path.read_bytes().decode() == "id,name\r\n1,Açaí\r\n"
    w.writerows([["2", "Caju"], ["3", "=1+1"]])
    assert path.read_bytes().decode().endswith("2,Caju\r\n3,'=1+1\r\n")
    assert not w.closed
    w.close()


def test_rows_written_before_a_failing_row_are_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    def rows() -> Iterator[list[str]]:
        yield ["1"]
        raise RuntimeError("source failed")

    w = csv.open_csv_writer(path)
    with pytest.raises(RuntimeError):
        w.writerows(rows())
    assert path.read_bytes().decode() == "1\r\n"
    w.close()


def test_fieldnames_of_an_empty_file_read_to_the_end_is_none(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    reader = csv.open_csv_reader(path)
    assert list(reader) == []
    assert reader.fieldnames is None


def test_fieldnames_after_the_last_row_is_the_header(tmp_path: Path) -> None:
    path = tmp_path / "fruits.csv"
    path.write_text("id,name\n1,Caju\n", encoding="utf-8")
    reader = csv.open_csv_reader(path)
    assert [row["name"] for row in reader] == ["Caju"]
    assert reader.fieldnames == ["id", "name"]


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        pytest.param("utf-16-le", codecs.BOM_UTF16_LE, id="utf-16-le"),
        pytest.param("utf-16-be", codecs.BOM_UTF16_BE, id="utf-16-be"),
        pytest.param("utf-32-le", codecs.BOM_UTF32_LE, id="utf-32-le"),
        pytest.param("utf-32-be", codecs.BOM_UTF32_BE, id="utf-32-be"),
    ],
)
def test_a_file_with_a_utf16_or_utf32_mark_is_read_in_that_encoding(
    tmp_path: Path, codec: str, bom: bytes
) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + "id\tname\r\n1\tAçaí\r\n".encode(codec))
    reader = csv.open_csv_reader(path)
    assert list(reader) == [{"id": "1", "name": "Açaí"}]
    assert reader.fieldnames == ["id", "name"]
    assert reader.encoding in {"utf-16", "utf-32"}


def test_a_broken_utf16_file_is_a_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "id,name\n1,x\n".encode("utf-16-le") + b"\x00\xdc")
    with pytest.raises(ValidationError, match=r"broken\.csv is not valid utf-16 text"):
        list(csv.open_csv_reader(path))
