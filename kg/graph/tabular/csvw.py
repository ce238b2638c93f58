"""W3C CSV on the Web metadata (`*.csv-metadata.json`) for every CSV template and export.

Why: a CSV from the field should be usable without this project. The metadata describes, in the
W3C vocabulary (https://www.w3.org/TR/tabular-metadata/), the same mapping to RDF that `kg import`
applies, so that any CSVW processor reading the CSV gives the same triples for the rows it can
express. CSVW has no lookups, so it can express a row only where the cells already hold what
becomes the RDF term:

- the identifier is a slug (`aboutUrl` `…/offer/{id}`); an empty identifier (kg import makes one
  from the label) is not expressible;
- concept cells hold the concept's notation (`pregnancy`, not „Schwangerschaft und Geburt“), area
  cells the official key (`05562014`), reference cells the full IRI;
- dates are written `31.12.2024` (xsd:date; a bare year or month is an xsd:gYear/gYearMonth in
  kg import, which one CSVW column datatype cannot choose);
- the kind column of organisations, a cooperation's partners and a grant's amount are left out
  (`suppressOutput`), as are `hn:sourceRow` and the contribution's source node, which come from
  the import, not from the cells. `hn:statedIn` is stated when the metadata names the source;
- the figure columns of events ("rund 160" → a hn:StatedFigure) are left out (`suppressOutput`):
  a figure is a node of its own pointing to the event (CSVW describes one subject per row, or per
  column by `aboutUrl`, but cannot read the precision from the words, split a range into value and
  maximum, or drop the words from the number); docs/import.md says what a processor can express.

tests/graph/tabular/test_csvw.py runs the PyPI `csvw` processor on a filled CSV and compares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kg.graph.tabular.templates import Column, Kind
from kg.rdf import HNID, PREFIXES, RDF_TYPE

_CONCEPT = HNID + "concept/"


def column_name(c: Column) -> str:
    """A CSVW column name (used in URI templates): letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", c.key)


def _column(c: Column, lang: str) -> dict[str, Any]:
    name = column_name(c)
    d: dict[str, Any] = {"name": name, "titles": c.header(lang)}
    if c.value in ("id", "type", "partners", "amount", "currency", "figure"):
        d["suppressOutput"] = True
        return d
    d["propertyUrl"] = c.predicate
    if c.multi:
        d["separator"] = "\n" if c.value == "text" else ";"
    if c.value == "text":
        d["lang"] = c.lang or "de"
        d["datatype"] = "string"
    elif c.value == "string":
        d["datatype"] = "string"
    elif c.value == "date":
        d["datatype"] = {"base": "date", "format": "dd.MM.yyyy"}
    elif c.value == "number":
        d["datatype"] = {"base": "decimal", "format": {"decimalChar": ","}}
    elif c.value == "concept" and c.scheme:
        d["valueUrl"] = f"{c.scheme}/{{{name}}}"
    elif c.value == "area":
        d["valueUrl"] = f"{HNID}area/{{{name}}}"
    else:  # agents and other references: the cell holds the IRI
        d["valueUrl"] = f"{{+{name}}}"
    return d


def metadata(kind: Kind, csv_name: str, lang: str = "de", source: str | None = None) -> dict[str, Any]:
    """The CSVW metadata of `kind`'s CSV file `csv_name`; `source`: the IRI for hn:statedIn."""
    id_col = kind.column("id")
    assert id_col is not None
    columns = [_column(c, lang) for c in kind.columns]
    columns.append({"name": "type", "virtual": True, "propertyUrl": RDF_TYPE, "valueUrl": kind.definition.cls})
    if source:
        columns.append({"name": "statedIn", "virtual": True, "propertyUrl": PREFIXES["hn"] + "statedIn",
                        "valueUrl": source})
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": lang}],
        "url": csv_name,
        "dc:title": f"{kind.definition.de} ({kind.definition.en})",
        "dc:description": "hilfenetz spreadsheet template (kg template); see docs/import.md for what CSVW "
                          "can express of kg import's mapping.",
        "dialect": {"delimiter": ";", "encoding": "utf-8", "header": True, "commentPrefix": "#"},
        "tableSchema": {
            "columns": columns,
            "aboutUrl": f"{kind.definition.namespace}{{{column_name(id_col)}}}",
        },
    }


def metadata_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + "-metadata.json")


def write_metadata(csv_path: Path, kind: Kind, lang: str = "de", source: str | None = None) -> Path:
    out = metadata_path(csv_path)
    out.write_text(json.dumps(metadata(kind, csv_path.name, lang, source), ensure_ascii=False, indent=2) + "\n",
                   encoding="utf-8")
    return out
