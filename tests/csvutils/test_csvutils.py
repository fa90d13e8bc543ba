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


class TestReader:
    def test_reads_rows_as_lists_of_strings(self, fruits: Path) -> None:
        assert list(csv.open_csv_reader(fruits)) == [["id", "name"], ["1", "Açaí"], ["2", "Caju"]]

    def test_strips_a_utf8_byte_order_mark(self, tmp_path: Path) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes("\ufeffid,name\n1,Maçã\n".encode())
        assert list(csv.open_csv_reader(path)) == [["id", "name"], ["1", "Maçã"]]

    def test_closes_the_file_when_exhausted(self, fruits: Path) -> None:
        reader = csv.open_csv_reader(fruits)
        list(reader)
        assert reader._file.closed

    def test_closes_the_file_on_leaving_with(self, fruits: Path) -> None:
        with csv.open_csv_reader(fruits) as reader:
            next(reader)
        assert reader._file.closed

    @pytest.mark.parametrize("delimiter", [";", "\t", "|"])
    def test_sniffs_the_delimiter(self, tmp_path: Path, delimiter: str) -> None:
        path = tmp_path / "data.csv"
        path.write_text(f"a{delimiter}b\n1{delimiter}2\n3{delimiter}4\n", encoding="utf-8")
        reader = csv.open_csv_reader(path, sniff=True)
        assert reader.delimiter == delimiter
        assert list(reader) == [["a", "b"], ["1", "2"], ["3", "4"]]

    def test_sniffing_a_single_column_file_falls_back_to_the_default(self, tmp_path: Path) -> None:
        path = tmp_path / "one.csv"
        path.write_text("name\nAna\nBia\n", encoding="utf-8")
        assert list(csv.open_csv_reader(path, sniff=True)) == [["name"], ["Ana"], ["Bia"]]

    def test_invalid_utf8_after_the_first_buffer_is_a_validation_error(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes(b"id,name\n" + b"1,ok\n" * 5000 + "2,Ma\xe7\xe3\n".encode("latin-1"))
        with pytest.raises(ValidationError, match="not valid utf-8-sig text"):
            list(csv.open_csv_reader(path))

    def test_an_explicit_encoding_reads_legacy_files(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.csv"
        path.write_bytes("id,name\n1,Maçã\n".encode("latin-1"))
        assert list(csv.open_csv_reader(path, encoding="latin-1"))[1] == ["1", "Maçã"]


class TestWriter:
    def test_plain_use_as_in_the_spec_loses_no_rows(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        w = csv.open_csv_writer(path)
        w.writerow(["id", "name"])
        w.writerow(["1", "Açaí"])
        del w
        gc.collect()
        assert path.read_bytes().decode() == "id,name\r\n1,Açaí\r\n"

    def test_with_block_flushes_and_closes(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerows([["a", "b"], [1, 2]])
        assert writer.closed
        assert list(csv.open_csv_reader(path)) == [["a", "b"], ["1", "2"]]

    def test_embedded_newlines_and_quotes_round_trip(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        row = ["line one\nline two", 'say "hi"', "a,b"]
        with csv.open_csv_writer(path) as writer:
            writer.writerow(row)
        assert list(csv.open_csv_reader(path)) == [row]

    @pytest.mark.parametrize(
        "cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")']
    )
    def test_formula_cells_are_neutralised(self, tmp_path: Path, cell: str) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerow([cell, "safe"])
        assert list(csv.open_csv_reader(path)) == [["'" + cell, "safe"]]

    def test_numbers_are_not_escaped(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path) as writer:
            writer.writerow([-5, -1.5])
        assert list(csv.open_csv_reader(path)) == [["-5", "-1.5"]]

    def test_escaping_can_be_turned_off(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        with csv.open_csv_writer(path, escape_formulas=False) as writer:
            writer.writerow(["=1+1"])
        assert list(csv.open_csv_reader(path)) == [["=1+1"]]

    def test_rows_to_csv_renders_text_with_the_same_escaping(self) -> None:
        assert csv.rows_to_csv([["id", "=x"], [1, "ok"]]) == "id,'=x\r\n1,ok\r\n"
