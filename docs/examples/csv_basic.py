from serpens import csvutils as csv

with csv.open_csv_writer("fruits.csv") as writer:
    writer.writerow(["id", "name", "note"])
    writer.writerow(["1", "Açaí", "=HYPERLINK('http://evil')"])  # stored as '=HYPERLINK(...)

for row in csv.open_csv_reader("fruits.csv"):
    print(row)

rows = list(csv.open_csv_reader("fruits.csv"))
assert rows[1] == ["1", "Açaí", "'=HYPERLINK('http://evil')"]
