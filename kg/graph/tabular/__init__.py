"""Spreadsheets from the field: read, check, write and map xlsx, ODS and CSV files (issue 17).

The people who hold the facts the graph lacks (network coordinators of Frühe Hilfen, KIPS and
Präventionsketten coordinators, youth and health offices) work in spreadsheets. This package is the
door between their files and the graph:

- `read.py`: `read_table(path)`, one sheet of an xlsx/xlsm, ODS or CSV file as typed cells with
  their row and column; the format detected by content; limits (size, cells, zip bomb) checked
  before anything is unpacked.
- `values.py`: the cell value parsers the mapping uses: dates (`31.12.2024`, `1.9.24`, ISO), years,
  decimals with comma, integers, yes/no, stated figures ("rund 160", "100–120"), several values
  in one cell, text normalisation.
- `write.py`: `write_xlsx` (drop-down lists, notes, required columns marked, instructions sheet)
  and `write_csv` (as Excel-DE saves it); `escape_formula`, so no exported cell runs as a formula.

Readers chosen on measurement (bench/bench_tabular.py, bench/results/tabular-read.md):
python-calamine for xlsx and ODS, the standard library's csv for CSV; openpyxl writes xlsx.

Built on them (issue 17, the model side):

- `templates.py`: the template kinds, their columns generated from the shapes and schemes;
- `resolve.py`: what a cell names (areas, organisations, concepts), with candidates;
- `mapping.py`: rows ↔ RDF; `importer.py`: plan and commit an import, kept contributions;
- `sheets.py`, `csvw.py`: templates and exports as files, their CSVW metadata.
"""
