from pathlib import Path

from serpens import csvutils as csv

with csv.open_csv_writer("fruits.csv") as writer:
    writer.writerow(["id", "name", "price", "note"])
    writer.writerow(["1", "Açaí", "-12.50", "=HYPERLINK('http://evil')"])  # note: '=HYPERLINK

for row in csv.open_csv_reader("fruits.csv"):
    print(row["name"], row["price"])  # rows are dicts keyed by the header

reader = csv.open_csv_reader("fruits.csv")
assert reader.fieldnames == ["id", "name", "price", "note"]
assert list(reader) == [
    {"id": "1", "name": "Açaí", "price": "-12.50", "note": "'=HYPERLINK('http://evil')"}
]

# Exports from other tools: the dialect (; , tab) and the encoding are detected.
Path("legacy.csv").write_bytes("id;nome\n1;Ação\n".encode("iso-8859-1"))
assert list(csv.open_csv_reader("legacy.csv")) == [{"id": "1", "nome": "Ação"}]

w = csv.open_csv_writer("out.tsv", "excel-tab")  # the dialect, positional as in 2.9
w.writerow(["id", "name"])
w.writerow(["1", "Açaí"])
w.close()
