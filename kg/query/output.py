"""Formatting of SPARQL results for the terminal and for other programs.

Machine formats (csv, tsv, json for SELECT/ASK; turtle, ntriples, json-ld for CONSTRUCT) use
pyoxigraph's standard serialisers, so what `kg query --format json` prints is the W3C SPARQL JSON
results format any client can read. The `table` format is for people: aligned columns, IRIs
shortened with the project prefixes (kg.rdf.PREFIXES).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from kg.rdf import PREFIXES, XSD_STRING

SELECT_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld")
FORMATS = ("table", "csv", "tsv", "json", "turtle", "ntriples", "jsonld")

_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_XSD_STRING = XSD_STRING


def short_iri(iri: str) -> str:
    """Shorten with the longest matching project prefix (`hnid:org/lvr`); else the full IRI.

    Meant for reading, not for pasting into Turtle: `hnid:org/lvr` is not a valid prefixed name.
    """
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def term_cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A term as a table cell: shortened IRI, `_:id`, literal value (with @lang), or empty."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return short_iri(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        text = term.value.replace("\n", " ")
        if term.language:
            return f"{text} @{term.language}"
        return text
    return str(term)


def _width(text: str) -> int:
    """Display width (combining marks take no column, wide East Asian characters two)."""
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], max_cell: int = 80) -> str:
    """Aligned plain-text table with a header rule and a row count."""
    cut = [[c if _width(c) <= max_cell else c[: max_cell - 1] + "…" for c in r] for r in rows]
    widths = [_width(h) for h in header]
    for r in cut:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], _width(c))
    lines = [" | ".join(_pad(h, widths[i]) for i, h in enumerate(header)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    for r in cut:
        lines.append(" | ".join(_pad(c, widths[i]) for i, c in enumerate(r)).rstrip())
    n = len(rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines) + "\n"


def format_solutions(solutions: ox.QuerySolutions, fmt: str) -> str:
    """SELECT results in one of SELECT_FORMATS."""
    if fmt == "table":
        variables = [v.value for v in solutions.variables]
        rows = [[term_cell(sol[v]) for v in variables] for sol in solutions]
        return render_table(variables, rows)
    qfmt = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
            "json": ox.QueryResultsFormat.JSON}.get(fmt)
    if qfmt is None:
        raise ValueError(f"format {fmt!r} is not available for SELECT results (use {', '.join(SELECT_FORMATS)})")
    return solutions.serialize(format=qfmt).decode("utf-8")


def format_boolean(value: ox.QueryBoolean | bool, fmt: str) -> str:
    """ASK result: `true`/`false` for people and csv/tsv, the standard JSON for json."""
    b = bool(value)
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": b}) + "\n"
    if fmt in ("table", "csv", "tsv"):
        return ("true" if b else "false") + "\n"
    raise ValueError(f"format {fmt!r} is not available for ASK results (use {', '.join(SELECT_FORMATS)})")


def format_triples(triples: Iterable[ox.Triple], fmt: str) -> str:
    """CONSTRUCT/DESCRIBE results: Turtle (with project prefixes) unless asked otherwise.

    `table` falls back to Turtle; csv/tsv give subject, predicate, object columns (full IRIs).
    """
    if fmt in ("table", "turtle"):
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")
    if fmt == "ntriples":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    if fmt in ("jsonld", "json"):
        return ox.serialize(triples, format=ox.RdfFormat.JSON_LD, prefixes=PREFIXES).decode("utf-8")
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(["subject", "predicate", "object"])
        for t in triples:
            w.writerow([_plain(t.subject), _plain(t.predicate), _plain(t.object)])
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def _plain(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def format_result(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: str) -> str:
    """Dispatch on the kind of query result (SELECT, ASK, CONSTRUCT/DESCRIBE)."""
    if isinstance(result, ox.QuerySolutions):
        return format_solutions(result, fmt)
    if isinstance(result, ox.QueryBoolean):
        return format_boolean(result, fmt)
    return format_triples(result, fmt)


def format_rows(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    """Plain tabular data (e.g. `kg stats`) as table, csv, tsv or json (a list of objects)."""
    if fmt == "table":
        return render_table(header, [[str(c) for c in r] for r in rows])
    if fmt == "json":
        return json.dumps([dict(zip(header, r, strict=True)) for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}")
