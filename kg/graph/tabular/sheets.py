"""Templates and exports as files: the kind's columns, its rows (none for a template), instructions
and one example taken from the real data, written by kg.graph.tabular.write (xlsx or CSV).

Why one writer for both: an export must be a filled-in template — same headers, same cell syntax —
so that `kg export` → `kg import` without edits changes nothing. A CSV template (and export) gets a
W3C CSVW metadata file beside it (kg.graph.tabular.csvw).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kg.graph.tabular.mapping import COMMENT_MARK, Exporter
from kg.graph.tabular.resolve import Resolver
from kg.graph.tabular.templates import Column, Kind
from kg.graph.tabular.templates import kind as make_kind
from kg.graph.tabular.write import ColumnSpec, write_csv, write_xlsx
from kg.rdf import HNID, source_graph

FORMATS = ("xlsx", "csv")


def column_specs(kind: Kind, lang: str) -> list[ColumnSpec]:
    return [ColumnSpec(c.header(lang), comment=c.help_de if lang != "en" else c.help_en, required=c.required,
                       choices=c.choices, width=40 if c.value == "text" else 24) for c in kind.columns]


def example(store: Any, kind: Kind, resolver: Resolver) -> list[Any] | None:
    """One row of the real data (the curated source graphs), or None where the data has none."""
    graphs = [str(g.value) for g in store.named_graphs()
              if str(g.value).startswith(HNID + "graph/source/")]
    ex = Exporter(store, kind, resolver, sorted(graphs))
    subjects = ex.subjects()
    if not subjects:
        return None
    # the resource with the most filled cells shows the most
    rows = [ex.row(s) for s in subjects[:50]]
    return max(rows, key=lambda r: sum(1 for v in r if v not in ("", None)))


def instructions(kind: Kind, lang: str, sample: list[Any] | None) -> list[tuple[str, str]]:
    de = lang != "en"
    out: list[tuple[str, str]] = [
        ("Vorlage" if de else "Template", f"{kind.definition.de} ({kind.definition.en})"),
        ("Anleitung" if de else "How to",
         "Eine Zeile je Eintrag. Pflichtspalten sind mit * markiert. Zeilen, deren erste Zelle mit # beginnt, "
         "werden übergangen. Einlesen: kg import DATEI --kind " + kind.name + " --source-title … --publisher …"
         if de else
         "One row per entry. Required columns are marked *. Rows whose first cell starts with # are skipped. "
         "Import: kg import FILE --kind " + kind.name + " --source-title … --publisher …"),
    ]
    figures = [c for c in kind.columns if c.value == "figure"]
    if figures:
        names = ", ".join(f"„{c.de}“" if de else f"“{c.en}”" for c in figures)
        out.append(("Zahlenangaben" if de else "Figures",
                    f"Die Spalten {names} nehmen Zahlen so auf, wie sie genannt werden: „120“, „rund 160“, "
                    "„ca. 150“, „mehr als 200“, „über 200“, „bis zu 80“, „mindestens 30“ oder eine Spanne "
                    "„100–120“. Die Genauigkeit ergibt sich aus den Worten, der Wert aus der Zahl (ganze Zahlen, "
                    "„1.000“ ist tausend). Jede gefüllte Zelle wird eine Zahlenangabe zur Veranstaltung, mit dem "
                    "Zelltext als wörtlichem Beleg und dieser Datei als Quelle; eine geleerte Zelle entfernt sie. "
                    "Zahlen aus den Quelldokumenten erscheinen im Export als „rund 160“ usw. und bleiben beim "
                    "erneuten Einlesen unverändert."
                    if de else
                    f"The columns {names} take numbers as they are stated: \"120\", \"about 160\", \"ca. 150\", "
                    "\"more than 200\", \"up to 80\", \"at least 30\" or a range \"100–120\" (German words work "
                    "too). The precision comes from the words, the value from the number (whole numbers; "
                    "\"1.000\" is a thousand). Every filled cell becomes a stated figure of the event, with the "
                    "cell's text as its verbatim evidence and this file as its source; clearing the cell removes "
                    "it. Figures from the source documents export as \"rund 160\" etc. and stay unchanged when "
                    "the export is imported again."))
    for c in kind.columns:
        text = c.help_de if de else c.help_en
        if c.choices and c.value != "partners":
            text += (" Erlaubt: " if de else " Allowed: ") + "; ".join(c.choices)
        out.append((c.header(lang), text))
    if sample is not None:
        out.append(("Beispiel aus den Daten" if de else "Example from the data", ""))
        for c, v in zip(kind.columns, sample, strict=True):
            if v not in ("", None):
                out.append((c.header(lang), str(v)))
    return out


def write_sheet(path: Path, kind: Kind, rows: Sequence[Sequence[Any]], *, fmt: str, lang: str = "de",
                sample: list[Any] | None = None) -> list[Path]:
    """Write a template (no rows) or an export; returns the files written (CSV: + metadata)."""
    from kg.graph.tabular.csvw import write_metadata

    specs = column_specs(kind, lang)
    title = kind.definition.de if lang != "en" else kind.definition.en
    if fmt == "xlsx":
        write_xlsx(path, sheet_title=title, columns=specs, rows=rows, instructions=instructions(kind, lang, sample))
        return [path]
    body = list(rows)
    if sample is not None and not body:
        body = [[f"{COMMENT_MARK} Beispiel / example: {sample[0]}", *sample[1:]]]
    write_csv(path, specs, body)
    meta = write_metadata(path, kind, lang)
    return [path, meta]


def write_template(store: Any, kind_name: str, path: Path, *, fmt: str, lang: str = "de",
                   resolver: Resolver | None = None) -> list[Path]:
    """An empty template of one kind, with an example row from the data; the files written."""
    kind = make_kind(store, kind_name)
    sample = example(store, kind, resolver or Resolver(store))
    return write_sheet(path, kind, [], fmt=fmt, lang=lang, sample=sample)


def export_rows(store: Any, kind: Kind, resolver: Resolver, *, area: str | None = None,
                source: str | None = None) -> list[list[Any]]:
    graphs = [source_graph(source)] if source else None
    area_iri = resolver.area(area).iri if area else None
    ex = Exporter(store, kind, resolver, graphs)
    return [ex.row(s) for s in ex.subjects(area_iri)]


def export_kind(store: Any, kind_name: str, path: Path, *, fmt: str, lang: str = "de", area: str | None = None,
                source: str | None = None, resolver: Resolver | None = None) -> tuple[list[Path], int]:
    """Write the data of one kind as a filled-in template; (files written, number of rows)."""
    from kg.errors import KgError

    kind = make_kind(store, kind_name)
    resolver = resolver or Resolver(store)
    if area and resolver.area(area).iri is None:
        raise KgError(f"unknown area {area!r}", de=f"Unbekanntes Gebiet {area!r}")
    rows = export_rows(store, kind, resolver, area=area, source=source)
    return write_sheet(path, kind, rows, fmt=fmt, lang=lang), len(rows)


_ = Column
