"""Code written for serpens 2.9.0 keeps running unchanged: ``serpens.schema`` and
``serpens.csvutils``.

Each test is a 2.9.0 README call: ``Schema`` loading and dumping, its ``TypeError``
wording and its numbers, and the CSV reader and writer.

A failure here means a service pinned to 2.9.0 breaks on upgrade; change the library,
not this module (the deliberate differences are listed in docs/migrating-from-2.9.md).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from serpens import csvutils
from serpens.schema import Schema

# --------------------------------------------------------------------------- Schema


@dataclass
class Person(Schema):
    name: str
    age: int


class TestSchema:
    def test_the_readme_calls(self) -> None:
        assert Person.load({"name": "Mike", "age": 18}) == Person("Mike", 18)
        assert Person.loads('{"name": "Mike", "age": 18}') == Person("Mike", 18)
        assert Person("Mike", 18).dump() == {"name": "Mike", "age": 18}
        assert json.loads(Person("Mike", 18).dumps()) == {"name": "Mike", "age": 18}
        assert Person.dump([Person("Mike", 18)], many=True) == [{"name": "Mike", "age": 18}]

    def test_wrong_types_raise_type_error_with_the_2_9_wording(self) -> None:
        with pytest.raises(TypeError) as constructed:
            Person("Mike", "18")  # type: ignore[arg-type]
        assert constructed.value.args == ("'age' must be of type int",)
        with pytest.raises(TypeError) as loaded:
            Person.load({"name": "Mike", "age": "18"})
        assert loaded.value.args == ("'age' must be of type int",)
        with pytest.raises(TypeError) as missing:
            Person.load({"name": "Mike"})
        assert missing.value.args == ("'age' is a required field",)


# --------------------------------------------------------------------------- CSV


class TestCsv:
    def test_the_readme_calls(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        Path("fruits.csv").write_bytes("id;name;price\n1;Açaí;-12.50\n".encode("iso-8859-1"))
        rows = list(csvutils.open_csv_reader("fruits.csv"))
        assert rows == [{"id": "1", "name": "Açaí", "price": "-12.50"}]

        w = csvutils.open_csv_writer("out.csv")
        w.writerow(["id", "name", "phone"])
        w.writerow(["1", "Açaí", "+5511999999999"])
        w.close()
        reader = csvutils.open_csv_reader("out.csv")
        assert reader.fieldnames == ["id", "name", "phone"]
        assert list(reader) == [{"id": "1", "name": "Açaí", "phone": "+5511999999999"}]

        tabbed = csvutils.open_csv_writer("out.tsv", "excel-tab")
        tabbed.writerow(["a", "b"])
        tabbed.close()
        assert Path("out.tsv").read_bytes() == b"a\tb\r\n"

    def test_the_writer_and_reader_keep_their_2_9_attributes(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """2.9.0 returned a ``csv.writer`` and a ``csv.DictReader``."""
        monkeypatch.chdir(tmp_path)
        w = csvutils.open_csv_writer("out.csv")
        assert w.dialect.delimiter == ","
        assert w.writerow(["id", "name"]) == len("id,name\r\n")  # characters written
        w.writerow(["1", "Ana", "extra"])
        w.close()
        reader = csvutils.open_csv_reader("out.csv")
        assert isinstance(reader, csv.DictReader)
        assert (reader.restkey, reader.restval) == (None, None)
        reader.restkey = "rest"
        assert list(reader) == [{"id": "1", "name": "Ana", "rest": ["extra"]}]
        assert reader.reader.line_num == reader.line_num == 2


# --------------------------------------------------------------------------- Schema numbers


@dataclass
class Payment(Schema):
    amount: Decimal
    rate: float = 0.0


class TestSchemaNumbers:
    """2.9.0 call shapes with numbers: ``Cls.loads`` into a Decimal, ``cls=SchemaEncoder``."""

    def test_loads_gives_a_decimal_field_every_digit_of_its_json_number(self) -> None:
        payment = Payment.loads('{"amount": 12345678901234567.89, "rate": 0.5}')
        assert payment == Payment(Decimal("12345678901234567.89"), 0.5)  # 2.9.0: ...68
        assert type(payment.rate) is float

    def test_json_dumps_with_the_schema_encoder_keeps_working(self) -> None:
        from serpens.schema import SchemaEncoder  # noqa: PLC0415

        text = json.dumps({"amount": Decimal("19.90"), "rate": 0.5}, cls=SchemaEncoder)
        assert json.loads(text) == {"amount": 19.9, "rate": 0.5}

    def test_nan_is_refused_where_2_9_wrote_invalid_json(self) -> None:
        """Deliberate (docs/migrating-from-2.9.md): 2.9.0 wrote ``NaN``, which is not JSON."""
        from serpens.schema import SchemaEncoder  # noqa: PLC0415

        with pytest.raises(ValueError, match="not JSON compliant"):  # a SerializationError
            json.dumps({"rate": float("nan")}, cls=SchemaEncoder)
        with pytest.raises(ValueError, match="non-finite float"):
            Payment(Decimal(1), float("nan")).dump()
