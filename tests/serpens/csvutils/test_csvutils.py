import csv as stdlib_csv
import gc
from pathlib import Path

import pytest

from serpens import csvutils as csv
from serpens.errors import ValidationError


@pytest.fixture(name="fruits")
def _fruits(tmp_path: Path) -> Path:
    path = tmp_path / "fruits.csv"
    path.write_text("id,name\n1,Açaí\n2,Caju\n", encoding="utf-8")
    return path


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(stdlib_csv.reader(file))


class TestReader:
    def test_rows_are_dicts_keyed_by_the_header_as_in_2_9(self, fruits: Path) -> None:
        reader = csv.open_csv_reader(fruits)
        assert reader.fieldnames == ["id", "name"]
        assert list(reader) == [{"id": "1", "name": "Açaí"}, {"id": "2", "name": "Caju"}]

    def test_strips_a_utf8_byte_order_mark(self, tmp_path: Path) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes("\ufeffid;name\n1;Maçã\n".encode())
        reader = csv.open_csv_reader(path)
        assert list(reader) == [{"id": "1", "name": "Maçã"}]
        assert reader.fieldnames == ["id", "name"]  # no BOM glued to the first key

    def test_closes_the_file_when_exhausted(self, fruits: Path) -> None:
        reader = csv.open_csv_reader(fruits)
        list(reader)
        assert reader._file.closed

    def test_closes_the_file_on_leaving_with(self, fruits: Path) -> None:
        with csv.open_csv_reader(fruits) as reader:
            next(reader)
        assert reader._file.closed

    @pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
    def test_sniffs_the_dialect(self, tmp_path: Path, delimiter: str) -> None:
        path = tmp_path / "data.csv"
        path.write_text(f"a{delimiter}b\n1{delimiter}2\n3{delimiter}4\n", encoding="utf-8")
        reader = csv.open_csv_reader(path)
        assert list(reader) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
        assert reader.delimiter == delimiter

    def test_an_explicit_delimiter_skips_sniffing(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text("a;b\n1;2\n", encoding="utf-8")
        assert list(csv.open_csv_reader(path, delimiter=",")) == [{"a;b": "1;2"}]

    def test_a_single_column_file_reads(self, tmp_path: Path) -> None:
        path = tmp_path / "one.csv"
        path.write_text("name\nAna\nBia\n", encoding="utf-8")
        assert list(csv.open_csv_reader(path)) == [{"name": "Ana"}, {"name": "Bia"}]

    def test_non_utf8_anywhere_falls_back_to_iso_8859_1(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes(b"id;name\n" + b"1;ok\n" * 20000 + "2;Maçã\n".encode("latin-1"))
        reader = csv.open_csv_reader(path)
        rows = list(reader)
        assert reader.encoding == "iso-8859-1"
        assert rows[-1] == {"id": "2", "name": "Maçã"}
        assert len(rows) == 20001

    def test_sniffing_a_latin1_file_is_no_unicode_error(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes("id;nome\n1;Ação\n".encode("latin-1"))
        assert list(csv.open_csv_reader(path, sniff=True)) == [{"id": "1", "nome": "Ação"}]

    def test_a_wrong_explicit_encoding_is_a_validation_error(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes("id;nome\n1;Ação\n".encode("latin-1"))
        with pytest.raises(ValidationError, match="not valid utf-8 text"):
            list(csv.open_csv_reader(path, encoding="utf-8"))
        with pytest.raises(ValidationError, match="not valid utf-8 text"):
            list(csv.open_csv_reader(path, encoding="utf-8", sniff=False))

    def test_an_explicit_encoding_reads_legacy_files(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes("id,name\n1,Maçã\n".encode("latin-1"))
        assert list(csv.open_csv_reader(path, encoding="latin-1")) == [{"id": "1", "name": "Maçã"}]


class TestWriter:
    def test_plain_use_as_in_the_spec_loses_no_rows(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        w = csv.open_csv_writer(path)
        w.writerow(["id", "name"])
        w.writerow(["1", "Açaí"])
        del w
        gc.collect()
        assert path.read_bytes().decode() == "id,name\r\n1,Açaí\r\n"

    def test_the_dialect_is_the_second_positional_argument(self, tmp_path: Path) -> None:
        path = tmp_path / "out.tsv"
        with csv.open_csv_writer(path, "excel-tab") as writer:
            writer.writerow(["a", "b"])
        with csv.open_csv_writer(tmp_path / "unix.csv", stdlib_csv.unix_dialect) as writer:
            writer.writerow(["a", "b"])
        assert path.read_bytes() == b"a\tb\r\n"
        assert (tmp_path / "unix.csv").read_bytes() == b'"a","b"\n'
        with pytest.raises(ValidationError, match="dialect"):
            csv.open_csv_writer(tmp_path / "x.csv", "no-such-dialect")

    def test_with_block_flushes_and_closes(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerows([["a", "b"], [1, 2]])
        assert writer.closed
        assert list(csv.open_csv_reader(path)) == [{"a": "1", "b": "2"}]

    def test_embedded_newlines_and_quotes_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        row = ["line one\nline two", 'say "hi"', "a,b"]
        with csv.open_csv_writer(path) as writer:
            writer.writerow(row)
        assert _read(path) == [row]

    @pytest.mark.parametrize(
        "cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")']
    )
    def test_formula_cells_are_neutralised(self, tmp_path: Path, cell: str) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerow([cell, "safe"])
        assert _read(path) == [["'" + cell, "safe"]]

    def test_plain_numbers_are_written_as_given(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        cells = [-5, -1.5, "-12.50", "+5511999999999", "-0,5", "+1e3", "-.5"]
        with csv.open_csv_writer(path) as writer:
            writer.writerow(cells)
        assert _read(path) == [[str(c) for c in cells]]

    def test_non_text_cells_are_judged_by_their_text(self, tmp_path: Path) -> None:
        class Sneaky:
            def __str__(self) -> str:
                return "=cmd|' /C calc'!A0"

        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerow([Sneaky(), Path("=evil"), Path("ok"), None, True])
        assert _read(path) == [["'=cmd|' /C calc'!A0", "'=evil", "ok", "", "True"]]

    def test_escaping_can_be_turned_off(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path, escape_formulas=False) as writer:
            writer.writerow(["=1+1"])
        assert _read(path) == [["=1+1"]]

    def test_rows_to_csv_renders_text_with_the_same_escaping(self) -> None:
        assert csv.rows_to_csv([["id", "=x"], [1, "-3.5"]]) == "id,'=x\r\n1,-3.5\r\n"
