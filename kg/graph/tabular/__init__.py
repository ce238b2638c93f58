"""Spreadsheets from the field: reading and writing tables (read.py, values.py, write.py) and the
model-driven templates, mapping, reference resolution and import built on them (issue 17)."""
